import { broadcastShapes } from '../../ir/dim.js';
import { VitcError } from '../../ir/errors.js';
import { isOp, type Node, type Value } from '../../ir/graph.js';
import { Attention } from '../../ir/ops/attention.js';
import { Concat } from '../../ir/ops/concat.js';
import { Conv } from '../../ir/ops/conv.js';
import { MatMul } from '../../ir/ops/matmul.js';
import { GroupNorm, InstanceNorm, LayerNorm } from '../../ir/ops/norm.js';
import { AvgPool, GlobalAvgPool, MaxPool } from '../../ir/ops/pool.js';
import { ReduceMax, ReduceMean, ReduceSum } from '../../ir/ops/reduce.js';
import { Softmax } from '../../ir/ops/softmax.js';
import { Tensor } from '../../ir/tensor.js';
import { ACC, type EExpr } from '../workload/expr.js';
import { vec4Readable } from '../lower/operands.js';
import type { Chain } from './chain.js';
import { concatSeed } from './elementwise-seed.js';
import { tokenAnchorSeed, withClsStats } from './anchors-tokens.js';
import type { Seed } from './seeds.js';
import type { Loc } from './types.js';
import { contiguousStrides, expand, pad, permute, reshape, type View, viewOffsets, viewShape } from './view.js';

/** What anchor builders may ask of the planner. */
export interface PlannerApi {
  /** Where a value lives, emitting the kernels it still needs. */
  locOf(v: Value): Loc;
  /** The tensor of a constant value. */
  constantOf(v: Value): Tensor | undefined;
  /** A new weight buffer holding `t` contiguously. */
  bake(t: Tensor, name?: string): Loc;
  /** A layer_norm feeding `v` through row-keeping views, kept for fusion as a matmul prologue. */
  layerNormSource(v: Value): LayerNormSource | undefined;
  /** Copies what `loc` addresses into a new contiguous temporary (a copy kernel, emitted now). */
  contiguous(loc: Loc): Loc;
}

/**
 * A matmul operand read through a multi-layer view pays div/mod address arithmetic on every
 * load of the inner loop (im2col windows with padding, window partitions): copying it once into
 * a contiguous buffer is cheaper whenever the operand is reused across output columns.
 */
function streamable(api: PlannerApi, loc: Loc): Loc {
  return loc.view.layers.length > 1 ? api.contiguous(loc) : loc;
}

export interface LayerNormSource {
  readonly node: Node;
  readonly gammaValue: Value;
  readonly betaValue: Value | undefined;
  /** The normalisation's input, seen through the same views as the matmul operand. */
  readonly x: Loc;
  readonly gamma: Loc;
  readonly beta: Loc | undefined;
  readonly epsilon: number;
}

const shapeOf = (v: Value): number[] => v.type.shape as number[];
const product = (xs: readonly number[]) => xs.reduce((a, b) => a * b, 1);
const input = (index: number): EExpr => ({ op: 'input', index });

/** The kernel seed for an anchor node, or undefined when the node has no lowering. */
export function anchorSeed(n: Node, api: PlannerApi): Seed | undefined {
  if (isOp(n, MatMul)) return matmulSeed(n, api);
  if (isOp(n, Conv)) return n.attrs.group === 1 ? convSeed(n, api) : groupedConvSeed(n, api);
  if (isOp(n, Attention)) return withClsStats(n, attentionSeed(n, api));
  if (isOp(n, LayerNorm)) return layerNormSeed(n, api);
  if (isOp(n, InstanceNorm) || isOp(n, GroupNorm)) return groupNormSeed(n, api, isOp(n, GroupNorm) ? n.attrs.groups : (shapeOf(n.inputs[0]!)[1] ?? 1));
  if (isOp(n, Softmax)) return softmaxSeed(n, api);
  if (isOp(n, ReduceMean) || isOp(n, ReduceSum) || isOp(n, ReduceMax)) return reductionSeed(n, api);
  if (isOp(n, GlobalAvgPool)) return globalPoolSeed(n, api);
  if (isOp(n, AvgPool) || isOp(n, MaxPool)) return poolSeed(n, api);
  if (isOp(n, Concat)) return concatSeed(n, api);
  return tokenAnchorSeed(n, api);
}

/** A constant operand re-laid out contiguously when its view would be slow to read. */
function bakeView(api: PlannerApi, loc: Loc): Loc {
  if (loc.buffer.kind !== 'weight' || vec4Readable(loc.view)) return loc;
  const src = loc.buffer.data!;
  const offsets = viewOffsets(loc.view);
  const values = Array.from(offsets, (o) => (o < 0 ? 0 : src.get(o)));
  return api.bake(Tensor.fromNumbers(src.dtype === 'i32' ? 'i32' : 'f32', viewShape(loc.view), values));
}

function matmulSeed(n: Node, api: PlannerApi): Seed {
  const [a, b] = n.inputs as [Value, Value];
  const as = shapeOf(a);
  const bs = shapeOf(b);
  if (as.length < 2 || bs.length < 2) throw new VitcError(`matmul with a 1-D operand has no WebGPU lowering yet`);
  const [m, k] = as.slice(-2) as [number, number];
  const nn = bs[bs.length - 1]!;
  const ln = api.layerNormSource(a);
  let aLoc = ln ? ln.x : api.locOf(a);
  let bLoc = bakeView(api, api.locOf(b));
  const out = shapeOf(n.outputs[0]!);
  let batch: number[];
  let aView: View;
  let bView: View;
  let rows = m;
  let chain: Chain = [];
  if (bs.length === 2 && as.length > 2) {
    // x[..., M, K] · W[K, N]: one big matrix product over all leading rows.
    batch = [];
    rows = product(as.slice(0, -1));
    aView = reshape(aLoc.view, [rows, k]);
    if (!ln && aView.layers.length > 1) {
      const copied = api.contiguous({ buffer: aLoc.buffer, view: aView });
      aLoc = copied;
      aView = copied.view;
    }
    bView = bLoc.view;
    chain = [{ kind: 'reshape', from: [rows, nn], to: out }];
  } else {
    batch = broadcastShapes(as.slice(0, -2), bs.slice(0, -2)) as number[];
    if (!ln) aLoc = streamable(api, aLoc);
    bLoc = streamable(api, bLoc);
    aView = expand(aLoc.view, [...batch, m, k]);
    bView = expand(bLoc.view, [...batch, k, nn]);
  }
  const operands: Loc[] = [
    { buffer: aLoc.buffer, view: aView },
    { buffer: bLoc.buffer, view: bView },
  ];
  // LayerNorm scale and shift fold into constant 2-D weights: W' = diag(γ)·W, bias β·W.
  const folded = ln && batch.length === 0 ? foldLayerNorm(api, ln, bLoc, k, nn) : undefined;
  let epilogue: EExpr = ACC;
  if (folded) {
    operands[1] = { buffer: folded.w.buffer, view: folded.w.view };
    if (folded.bias) {
      operands.push({ buffer: folded.bias.buffer, view: expand(folded.bias.view, [rows, nn]) });
      epilogue = { op: 'binary', fn: 'add', a: ACC, b: input(2) };
    }
  } else if (ln) {
    operands.push(ln.gamma);
    if (ln.beta) operands.push(ln.beta);
  }
  const prologue = ln ? (folded ? { epsilon: ln.epsilon, gamma: null, beta: null } : { epsilon: ln.epsilon, gamma: 2, beta: ln.beta ? 3 : null }) : null;
  return {
    label: ln ? 'ln_matmul' : 'matmul',
    node: n,
    space: [...batch, rows, nn],
    chain,
    operands,
    epilogue,
    fusesEpilogue: true,
    make: (epilogue, ops, output) => ({
      kind: 'matmul',
      batch,
      m: rows,
      n: nn,
      k,
      a: 0,
      b: 1,
      operands: ops,
      prologue,
      epilogue,
      output: { view: output },
    }),
  };
}

/** diag(γ)·W and β·W for a constant [K, N] weight; undefined when anything is not constant. */
function foldLayerNorm(api: PlannerApi, ln: LayerNormSource, w: Loc, k: number, n: number): { w: Loc; bias: Loc | undefined } | undefined {
  const gamma = api.constantOf(ln.gammaValue);
  const beta = ln.betaValue ? api.constantOf(ln.betaValue) : undefined;
  if (w.buffer.kind !== 'weight' || !gamma || (ln.betaValue && !beta) || gamma.size !== k) return undefined;
  const offsets = viewOffsets(w.view);
  const src = w.buffer.data!;
  const wf = new Float32Array(k * n);
  const bias = new Float64Array(n);
  for (let r = 0; r < k; r++) {
    const g = gamma.get(r);
    const b = beta ? beta.get(r) : 0;
    for (let c = 0; c < n; c++) {
      const x = src.get(offsets[r * n + c]!);
      wf[r * n + c] = g * x;
      bias[c]! += b * x;
    }
  }
  return { w: api.bake(new Tensor('f32', [k, n], wf)), bias: beta ? api.bake(new Tensor('f32', [n], Float32Array.from(bias))) : undefined };
}

interface Window {
  readonly kernel: readonly number[];
  readonly strides: readonly number[];
  readonly pads: readonly number[];
  readonly dilations: readonly number[];
}

/**
 * Sliding windows of an NC(H)W view as a view [B, C, OH, OW, KH, KW] (1-D windows get H = 1):
 * padding becomes a masked layer; `extraEnd` pads further on the trailing side (ceil_mode).
 */
function windowView(x: View, w: Window, outSpatial: readonly number[], extraEnd: readonly number[] = []): View {
  const shape = viewShape(x);
  const spatial = shape.length - 2;
  const to2d = (xs: readonly number[], fill: number) => (spatial === 1 ? [fill, ...xs] : [...xs]);
  const base = spatial === 1 ? reshape(x, [shape[0]!, shape[1]!, 1, shape[2]!]) : x;
  const [kh, kw] = to2d(w.kernel, 1) as [number, number];
  const [sh, sw] = to2d(w.strides, 1) as [number, number];
  const [dh, dw] = to2d(w.dilations, 1) as [number, number];
  const begins = to2d(w.pads.slice(0, spatial), 0);
  const ends = to2d(w.pads.slice(spatial), 0).map((p, i) => p + (to2d(extraEnd, 0)[i] ?? 0));
  const [oh, ow] = to2d(outSpatial, 1) as [number, number];
  const [b, c] = [shape[0]!, shape[1]!];
  const padded = begins.some((p) => p > 0) || ends.some((p) => p > 0) ? pad(base, [0, 0, ...begins], [0, 0, ...ends]) : base;
  const top = padded.layers[padded.layers.length - 1]!;
  if (!top.valid) {
    // Compose the window strides into the existing strided layer: no extra index arithmetic.
    const [s0, s1, s2, s3] = top.strides as [number, number, number, number];
    return { layers: [...padded.layers.slice(0, -1), { shape: [b, c, oh, ow, kh, kw], strides: [s0, s1, sh * s2, sw * s3, dh * s2, dw * s3], offset: top.offset }] };
  }
  const ps = viewShape(padded);
  const st = contiguousStrides(ps);
  return { layers: [...padded.layers, { shape: [b, c, oh, ow, kh, kw], strides: [st[0]!, st[1]!, sh * st[2]!, sw * st[3]!, dh * st[2]!, dw * st[3]!], offset: 0 }] };
}

function convWindow(n: Node & { attrs: { strides: readonly number[]; pads: readonly number[]; dilations: readonly number[] } }, kernel: readonly number[]): Window {
  return { kernel, strides: n.attrs.strides, pads: n.attrs.pads, dilations: n.attrs.dilations };
}

/** Dense convolution as an implicit GEMM: im2col windows × weights baked as [C·KH·KW, Cout]. */
function convSeed(n: Node, api: PlannerApi): Seed {
  const [x, w, bias] = n.inputs as [Value, Value, Value | undefined];
  const ws = shapeOf(w);
  const wt = api.constantOf(w);
  if (!wt) throw new VitcError(`conv with non-constant weights has no WebGPU lowering yet`);
  const out = shapeOf(n.outputs[0]!);
  const [b, cout] = [out[0]!, out[1]!];
  const outSpatial = out.slice(2);
  const spatial = ws.length - 2;
  const kdims = ws.slice(2);
  const kk = product(ws.slice(1));
  const m = product(outSpatial);
  const win = windowView(api.locOf(x).view, convWindow(n as never, kdims), outSpatial);
  const cin = ws[1]!;
  const [oh, ow] = spatial === 1 ? [1, outSpatial[0]!] : (outSpatial as [number, number]);
  const [kh, kw] = spatial === 1 ? [1, kdims[0]!] : (kdims as [number, number]);
  const a = streamable(api, { buffer: api.locOf(x).buffer, view: reshape(permute(win, [0, 2, 3, 1, 4, 5]), [b, oh * ow, cin * kh * kw]) });
  const wmat = api.bake(transpose2d(wt, cout, kk), w.name);
  const operands: Loc[] = [
    a,
    { buffer: wmat.buffer, view: expand(wmat.view, [b, kk, cout]) },
  ];
  let epilogue: EExpr = ACC;
  if (bias) {
    const bl = api.locOf(bias);
    operands.push({ buffer: bl.buffer, view: expand(bl.view, [b, m, cout]) });
    epilogue = { op: 'binary', fn: 'add', a: ACC, b: input(2) };
  }
  const chain: Chain = [
    { kind: 'reshape', from: [b, m, cout], to: [b, ...outSpatial, cout] },
    { kind: 'transpose', perm: [0, outSpatial.length + 1, ...outSpatial.map((_, i) => i + 1)] },
  ];
  return {
    label: 'conv',
    node: n,
    space: [b, m, cout],
    chain,
    operands,
    epilogue,
    fusesEpilogue: true,
    make: (epi, ops, output) => ({ kind: 'matmul', batch: [b], m, n: cout, k: kk, a: 0, b: 1, operands: ops, prologue: null, epilogue: epi, output: { view: output } }),
  };
}

function transpose2d(t: Tensor, rows: number, cols: number): Tensor {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = t.get(r * cols + c);
  return new Tensor('f32', [cols, rows], out);
}

/** Grouped / depthwise convolution: a reduction over [C/group, KH, KW] per output element. */
function groupedConvSeed(n: Node, api: PlannerApi): Seed {
  const [x, w, bias] = n.inputs as [Value, Value, Value | undefined];
  const ws = shapeOf(w);
  const out = shapeOf(n.outputs[0]!);
  const group = (n.attrs as { group: number }).group;
  const [b, cout] = [out[0]!, out[1]!];
  const outSpatial = out.slice(2);
  const kdims = ws.slice(2);
  const cg = ws[1]!;
  const mult = cout / group;
  const spatial = kdims.length;
  const [oh, ow] = spatial === 1 ? [1, outSpatial[0]!] : (outSpatial as [number, number]);
  const [kh, kw] = spatial === 1 ? [1, kdims[0]!] : (kdims as [number, number]);
  const win = windowView(api.locOf(x).view, convWindow(n as never, kdims), outSpatial);
  // [B, G·Cg, OH, OW, KH, KW] → [B, G, M, OH, OW, Cg, KH, KW] → [B, Cout, OH, OW, Cg, KH, KW]
  let xv = reshape(win, [b, group, 1, cg, oh, ow, kh, kw]);
  xv = expand(xv, [b, group, mult, cg, oh, ow, kh, kw]);
  xv = permute(xv, [0, 1, 2, 4, 5, 3, 6, 7]);
  xv = reshape(xv, [b, cout, oh, ow, cg, kh, kw]);
  const wl = api.locOf(w);
  const wv = expand(reshape(wl.view, [1, cout, 1, 1, cg, kh, kw]), [b, cout, oh, ow, cg, kh, kw]);
  const operands: Loc[] = [
    { buffer: api.locOf(x).buffer, view: xv },
    { buffer: wl.buffer, view: wv },
  ];
  let epilogue: EExpr = ACC;
  if (bias) {
    const bl = api.locOf(bias);
    operands.push({ buffer: bl.buffer, view: expand(reshape(bl.view, [1, cout, 1, 1]), [b, cout, oh, ow]) });
    epilogue = { op: 'binary', fn: 'add', a: ACC, b: input(2) };
  }
  const space = [b, cout, oh, ow];
  return {
    label: 'dwconv',
    node: n,
    space,
    chain: spatial === 1 ? [{ kind: 'reshape', from: space, to: out }] : [],
    operands,
    epilogue,
    fusesEpilogue: true,
    make: (epi, ops, output) => ({
      kind: 'reduce',
      shape: space,
      reduceShape: [cg, kh, kw],
      combine: 'sum',
      operands: ops,
      body: { op: 'binary', fn: 'mul', a: input(0), b: input(1) },
      bodyOperands: [0, 1],
      epilogue: epi,
      output: { view: output },
    }),
  };
}

function attentionSeed(n: Node, api: PlannerApi): Seed {
  const [q, k, v, bias] = n.inputs as [Value, Value, Value, Value | undefined];
  const qs = shapeOf(q);
  const lead = qs.slice(0, -2);
  const [tq, d] = qs.slice(-2) as [number, number];
  const tk = shapeOf(k)[qs.length - 2]!;
  const dv = shapeOf(v)[qs.length - 1]!;
  const operands: Loc[] = [api.locOf(q), api.locOf(k), api.locOf(v)];
  if (bias) {
    const bl = api.locOf(bias);
    operands.push({ buffer: bl.buffer, view: expand(bl.view, [...lead, tq, tk]) });
  }
  return {
    label: 'attention',
    node: n,
    space: shapeOf(n.outputs[0]!),
    chain: [],
    operands,
    epilogue: ACC,
    fusesEpilogue: false,
    make: (_epi, ops, output) => ({ kind: 'attention', batch: lead, tq, tk, d, dv, scale: (n.attrs as { scale: number }).scale, q: 0, k: 1, v: 2, bias: bias ? 3 : null, operands: ops, output: { view: output } }),
  };
}

function rowSeed(n: Node, label: string, rows: number, cols: number, operands: Loc[], chain: Chain, op: 'layernorm' | 'softmax', epsilon: number, gamma: number | null, beta: number | null): Seed {
  return {
    label,
    node: n,
    space: [rows, cols],
    chain,
    operands,
    epilogue: ACC,
    fusesEpilogue: true,
    make: (epilogue, ops, output) => ({ kind: 'row', op, rows, cols, x: 0, epsilon, gamma, beta, operands: ops, epilogue, output: { view: output } }),
  };
}

function layerNormSeed(n: Node, api: PlannerApi): Seed {
  const [x, g, bt] = n.inputs as [Value, Value, Value | undefined];
  const shape = shapeOf(x);
  const axis = ((n.attrs as { axis: number }).axis + shape.length) % shape.length;
  const rows = product(shape.slice(0, axis));
  const cols = product(shape.slice(axis));
  const along = (v: Value) => {
    const l = api.locOf(v);
    return { buffer: l.buffer, view: reshape(expand(l.view, shape), [rows, cols]) };
  };
  const operands = [{ buffer: api.locOf(x).buffer, view: reshape(api.locOf(x).view, [rows, cols]) }, along(g)];
  if (bt) operands.push(along(bt));
  return rowSeed(n, 'layernorm', rows, cols, operands, [{ kind: 'reshape', from: [rows, cols], to: shape }], 'layernorm', (n.attrs as { epsilon: number }).epsilon, 1, bt ? 2 : null);
}

/** instance_norm (groups = channels) and group_norm: rows are (batch, group), scale/bias per channel. */
function groupNormSeed(n: Node, api: PlannerApi, groups: number): Seed {
  const [x, g, bt] = n.inputs as [Value, Value, Value];
  const shape = shapeOf(x);
  const rows = shape[0]! * groups;
  const cols = product(shape) / rows;
  const perChannel = (v: Value) => {
    const l = api.locOf(v);
    return { buffer: l.buffer, view: reshape(expand(reshape(l.view, shape.map((d, a) => (a === 1 ? d : 1))), shape), [rows, cols]) };
  };
  const operands = [{ buffer: api.locOf(x).buffer, view: reshape(api.locOf(x).view, [rows, cols]) }, perChannel(g), perChannel(bt)];
  return rowSeed(n, 'groupnorm', rows, cols, operands, [{ kind: 'reshape', from: [rows, cols], to: shape }], 'layernorm', (n.attrs as { epsilon: number }).epsilon, 1, 2);
}

function softmaxSeed(n: Node, api: PlannerApi): Seed {
  const x = n.inputs[0]!;
  const shape = shapeOf(x);
  const axis = ((n.attrs as { axis: number }).axis + shape.length) % shape.length;
  const perm = [...shape.keys()].filter((a) => a !== axis).concat(axis);
  const moved = perm.map((p) => shape[p]!);
  const cols = shape[axis]!;
  const rows = product(shape) / cols;
  const xv = reshape(permute(api.locOf(x).view, perm), [rows, cols]);
  const chain: Chain[number][] = [{ kind: 'reshape', from: [rows, cols], to: moved }];
  if (axis !== shape.length - 1) chain.push({ kind: 'transpose', perm: perm.map((_, i) => perm.indexOf(i)) });
  return rowSeed(n, 'softmax', rows, cols, [{ buffer: api.locOf(x).buffer, view: xv }], chain, 'softmax', 0, null, null);
}

function reduceSeed(n: Node, label: string, space: number[], reduceShape: number[], combine: 'sum' | 'max' | 'mean', operand: Loc, chain: Chain, epilogue: EExpr = ACC, extra: Loc[] = []): Seed {
  return {
    label,
    node: n,
    space,
    chain,
    operands: [operand, ...extra],
    epilogue,
    fusesEpilogue: true,
    make: (epi, ops, output) => ({ kind: 'reduce', shape: space, reduceShape, combine, operands: ops, body: input(0), bodyOperands: [0], epilogue: epi, output: { view: output } }),
  };
}

function reductionSeed(n: Node, api: PlannerApi): Seed {
  const x = n.inputs[0]!;
  const shape = shapeOf(x);
  const a = n.attrs as { axes: readonly number[]; keepdims: boolean };
  const axes = a.axes.length === 0 ? [...shape.keys()] : a.axes.map((ax) => (ax + shape.length) % shape.length);
  const kept = [...shape.keys()].filter((ax) => !axes.includes(ax));
  const reduceShape = axes.map((ax) => shape[ax]!);
  const space = kept.map((ax) => shape[ax]!);
  const loc = api.locOf(x);
  const view = reshape(permute(loc.view, [...kept, ...axes]), [...space, ...reduceShape]);
  const combine = isOp(n, ReduceMax) ? 'max' : isOp(n, ReduceMean) ? 'mean' : 'sum';
  const out = shapeOf(n.outputs[0]!);
  return reduceSeed(n, 'reduce', space, reduceShape, combine, { buffer: loc.buffer, view }, [{ kind: 'reshape', from: space, to: out }]);
}

function globalPoolSeed(n: Node, api: PlannerApi): Seed {
  const x = n.inputs[0]!;
  const shape = shapeOf(x);
  const loc = api.locOf(x);
  const spatial = shape.slice(2);
  const space = shape.slice(0, 2);
  const view = reshape(loc.view, [...space, ...spatial]);
  return reduceSeed(n, 'global_avg_pool', space, spatial, 'mean', { buffer: loc.buffer, view }, [{ kind: 'reshape', from: space, to: shapeOf(n.outputs[0]!) }]);
}

/**
 * avg_pool / max_pool over windows. Windows that ceil_mode lets run past the input are padded
 * further. max pads with -inf; avg sums the valid elements and multiplies by a baked per-position
 * factor computed from the op's own reference semantics (count_include_pad and all).
 */
function poolSeed(n: Node, api: PlannerApi): Seed {
  const x = n.inputs[0]!;
  const shape = shapeOf(x);
  const out = shapeOf(n.outputs[0]!);
  const at = n.attrs as { kernel: readonly number[]; strides: readonly number[]; pads: readonly number[]; dilations?: readonly number[] };
  const spatial = at.kernel.length;
  const dilations = at.dilations ?? at.kernel.map(() => 1);
  const outSpatial = out.slice(2);
  const extra = outSpatial.map((o, i) => Math.max(0, (o - 1) * at.strides[i]! + (at.kernel[i]! - 1) * dilations[i]! + 1 - (shape[2 + i]! + at.pads[i]! + at.pads[spatial + i]!)));
  const loc = api.locOf(x);
  const win = windowView(loc.view, { kernel: at.kernel, strides: at.strides, pads: at.pads, dilations }, outSpatial, extra);
  const [b, c] = [shape[0]!, shape[1]!];
  const [oh, ow] = spatial === 1 ? [1, outSpatial[0]!] : (outSpatial as [number, number]);
  const [kh, kw] = spatial === 1 ? [1, at.kernel[0]!] : (at.kernel as [number, number]);
  const space = [b, c, oh, ow];
  const chain: Chain = spatial === 1 ? [{ kind: 'reshape', from: space, to: out }] : [];
  if (isOp(n, MaxPool)) {
    const seed = reduceSeed(n, 'max_pool', space, [kh, kw], 'max', { buffer: loc.buffer, view: win }, chain);
    return { ...seed, make: (epi, ops, output) => seed.make(epi, ops.map((o, i) => (i === 0 ? { ...o, pad: -Infinity } : o)), output) };
  }
  // factor = reference avg_pool(ones) / (count of valid input positions per window)
  const ones = new Tensor('f32', [1, 1, ...shape.slice(2)], new Float32Array(product(shape.slice(2))).fill(1));
  const avgOnes = (n.op as typeof AvgPool).reference([ones], n.attrs as never)[0]!;
  const counts = viewOffsets(windowView(contiguousViewOf([1, 1, ...shape.slice(2)]), { kernel: at.kernel, strides: at.strides, pads: at.pads, dilations }, outSpatial, extra));
  const per = kh * kw;
  const factor = new Float32Array(oh * ow).map((_, i) => {
    let valid = 0;
    for (let j = 0; j < per; j++) if (counts[i * per + j]! >= 0) valid++;
    return valid === 0 ? 0 : avgOnes.get(i) / valid;
  });
  const f = api.bake(new Tensor('f32', [oh, ow], factor));
  const fView = expand(f.view, space);
  return reduceSeed(n, 'avg_pool', space, [kh, kw], 'sum', { buffer: loc.buffer, view: win }, chain, { op: 'binary', fn: 'mul', a: ACC, b: input(1) }, [{ buffer: f.buffer, view: fView }]);
}

function contiguousViewOf(shape: number[]): View {
  return { layers: [{ shape, strides: contiguousStrides(shape), offset: 0 }] };
}
