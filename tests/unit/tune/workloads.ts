import { contiguousView, expand, pad, permute, reshape, slice } from '../../../codegen/plan/view.js';
import { ACC, type EExpr } from '../../../codegen/workload/expr.js';
import type { AttentionWorkload, ElementwiseWorkload, GatherWorkload, MatmulWorkload, ReduceWorkload, RowWorkload, TopKWorkload, Workload } from '../../../codegen/workload/types.js';

/** Small workloads of every class, with non-trivial views (transposes, broadcasts, padding, slices). */

const input = (index: number): EExpr => ({ op: 'input', index });
const f32 = <V>(view: V) => ({ view, dtype: 'f32' as const });

/** out[b, m, n] = gelu(Σ a·B + bias[n]) (+ residual), B read transposed; optional LayerNorm prologue on A. */
export function matmulWorkload(m: number, n: number, k: number, opts: { batch?: number; prologue?: 'gamma' | 'folded'; residual?: boolean } = {}): MatmulWorkload {
  const batch = opts.batch ? [opts.batch] : [];
  const lead = batch;
  const a = f32(contiguousView([...lead, m, k]));
  // B stored as [n, k] and read as [k, n] (a transposed weight), shared across the batch.
  const b = f32(expand(permute(contiguousView([n, k]), [1, 0]), [...lead, k, n]));
  const bias = f32(expand(contiguousView([n]), [...lead, m, n]));
  const operands = [a, b, bias];
  let epilogue: EExpr = { op: 'unary', fn: 'gelu', a: { op: 'binary', fn: 'add', a: ACC, b: input(2) } };
  if (opts.residual) {
    operands.push(f32(contiguousView([...lead, m, n])));
    epilogue = { op: 'binary', fn: 'add', a: epilogue, b: input(3) };
  }
  let prologue: MatmulWorkload['prologue'] = null;
  if (opts.prologue === 'gamma') {
    operands.push(f32(contiguousView([k])), f32(contiguousView([k])));
    prologue = { epsilon: 1e-5, gamma: operands.length - 2, beta: operands.length - 1 };
  } else if (opts.prologue === 'folded') prologue = { epsilon: 1e-5, gamma: null, beta: null };
  return { kind: 'matmul', batch, m, n, k, a: 0, b: 1, operands, prologue, epilogue, output: { view: contiguousView([...lead, m, n]) } };
}

/** out = where(x > 0, x * y, -x) over a shape, y broadcast along the first axis; x read through a transpose. */
export function elementwiseWorkload(d0: number, d1: number): ElementwiseWorkload {
  const shape = [d0, d1];
  const expr: EExpr = { op: 'where', cond: { op: 'binary', fn: 'greater', a: input(0), b: { op: 'const', value: 0 } }, a: { op: 'binary', fn: 'mul', a: input(0), b: input(1) }, b: { op: 'unary', fn: 'neg', a: input(0) } };
  return { kind: 'elementwise', shape, operands: [f32(permute(contiguousView([d1, d0]), [1, 0])), f32(expand(contiguousView([d1]), shape))], expr, output: { view: contiguousView(shape) } };
}

export function rowWorkload(op: 'layernorm' | 'softmax', rows: number, cols: number): RowWorkload {
  const x = f32(contiguousView([rows, cols]));
  if (op === 'softmax') return { kind: 'row', op, rows, cols, x: 0, epsilon: 0, gamma: null, beta: null, operands: [x], epilogue: { op: 'binary', fn: 'mul', a: ACC, b: { op: 'const', value: 2 } }, output: { view: contiguousView([rows, cols]) } };
  const g = f32(expand(contiguousView([cols]), [rows, cols]));
  return { kind: 'row', op, rows, cols, x: 0, epsilon: 1e-5, gamma: 1, beta: 2, operands: [x, g, g], epilogue: ACC, output: { view: contiguousView([rows, cols]) } };
}

/** Depthwise 3×3 convolution with zero padding 1 over [c, h, w] (a reduce over the window), plus bias. */
export function reduceWorkload(c: number, h: number, w: number): ReduceWorkload {
  const padded = pad(contiguousView([c, h, w]), [0, 1, 1], [0, 1, 1]);
  // The window is a layer over the padded layer's linear index: (ci, i, j, di, dj) → x_pad[ci, i + di, j + dj].
  const windowed = { layers: [...padded.layers, { shape: [c, h, w, 3, 3], strides: [(h + 2) * (w + 2), w + 2, 1, w + 2, 1], offset: 0 }] };
  const weights = f32(expand(reshape(contiguousView([c, 9]), [c, 1, 1, 3, 3]), [c, h, w, 3, 3]));
  return {
    kind: 'reduce',
    shape: [c, h, w],
    reduceShape: [3, 3],
    combine: 'sum',
    operands: [f32(windowed), weights, f32(expand(reshape(contiguousView([c]), [c, 1, 1]), [c, h, w]))],
    body: { op: 'binary', fn: 'mul', a: input(0), b: input(1) },
    bodyOperands: [0, 1],
    epilogue: { op: 'binary', fn: 'add', a: ACC, b: input(2) },
    output: { view: contiguousView([c, h, w]) },
  };
}

/** Multi-head attention reading q, k, v as slices of one [t, 3, heads, d] tensor (the ViT layout). */
export function attentionWorkload(heads: number, t: number, d: number, bias = false): AttentionWorkload {
  const qkv = contiguousView([t, 3, heads, d]);
  const part = (i: number) => f32(permute(reshape(slice(qkv, 1, i, 1, 1), [t, heads, d]), [1, 0, 2]));
  const operands = [part(0), part(1), part(2)];
  if (bias) operands.push(f32(expand(reshape(contiguousView([t, t]), [1, t, t]), [heads, t, t])));
  return {
    kind: 'attention',
    batch: [heads],
    tq: t,
    tk: t,
    d,
    dv: d,
    scale: 1 / Math.sqrt(d),
    q: 0,
    k: 1,
    v: 2,
    bias: bias ? 3 : null,
    operands,
    output: { view: permute(contiguousView([t, heads, d]), [1, 0, 2]) },
  };
}

/** The k largest of each of `rows` rows of n scores; positions stored after the values in the same buffer. */
export function topKWorkload(rows: number, n: number, k: number): TopKWorkload {
  return {
    kind: 'top_k',
    rows: [rows],
    n,
    k,
    largest: true,
    operands: [f32(contiguousView([rows, n]))],
    output: { view: contiguousView([rows, k]) },
    indices: { view: { layers: [{ shape: [rows, k], strides: [k, 1], offset: rows * k }] } },
  };
}

/** Rows of x [t, d] picked by an index per output element (ToMe's and PPT's token gather), times 2. */
export function gatherWorkload(kept: number, t: number, d: number): GatherWorkload {
  return {
    kind: 'gather',
    shape: [kept, d],
    x: 0,
    indices: 1,
    xAxes: [-1, 1],
    operands: [f32(contiguousView([t, d])), f32(expand(reshape(contiguousView([kept]), [kept, 1]), [kept, d]))],
    epilogue: { op: 'binary', fn: 'mul', a: ACC, b: { op: 'const', value: 2 } },
    output: { view: contiguousView([kept, d]) },
  };
}

/** One of each class, small enough for a CPU adapter in a unit test. */
export function sampleWorkloads(): { name: string; workload: Workload }[] {
  return [
    { name: 'matmul 13×20×24 (transposed B, bias, gelu)', workload: matmulWorkload(13, 20, 24) },
    { name: 'matmul 2·9×16×12 + residual', workload: matmulWorkload(9, 16, 12, { batch: 2, residual: true }) },
    { name: 'matmul 11×12×20 LayerNorm prologue', workload: matmulWorkload(11, 12, 20, { prologue: 'gamma' }) },
    { name: 'matmul 10×8×16 folded LayerNorm', workload: matmulWorkload(10, 8, 16, { prologue: 'folded' }) },
    { name: 'elementwise 7×12', workload: elementwiseWorkload(7, 12) },
    { name: 'layernorm 9×40', workload: rowWorkload('layernorm', 9, 40) },
    { name: 'softmax 6×33', workload: rowWorkload('softmax', 6, 33) },
    { name: 'depthwise conv 3×5×6', workload: reduceWorkload(3, 5, 6) },
    { name: 'attention 2 heads 9×8', workload: attentionWorkload(2, 9, 8) },
    { name: 'attention 3 heads 7×4 with bias', workload: attentionWorkload(3, 7, 4, true) },
  ];
}
