import type { View } from '../plan/view.js';
import type { EExpr } from './expr.js';

/**
 * A workload is what one kernel computes, independent of how it is scheduled: shapes, how each
 * operand is addressed (views), fused pointwise work. Its canonical JSON is the tuning key, so two
 * identical encoder blocks share one workload (and one tuned schedule, and one pipeline).
 * Operands are numbered: the kernel binds them in this order, followed by the outputs.
 */
export interface Operand {
  readonly view: View;
  /** Storage element type. Compute is f32; integer/bool operands are converted on load. */
  readonly dtype: 'f32' | 'i32';
  /** What padded positions of the view read as (default 0; max pooling pads with -inf). */
  readonly pad?: number;
}

export interface Output {
  readonly view: View;
}

/** out[i] = expr(operands at i) over a shape. Copies, concats through `where`, casts. */
export interface ElementwiseWorkload {
  readonly kind: 'elementwise';
  readonly shape: readonly number[];
  readonly operands: readonly Operand[];
  readonly expr: EExpr;
  readonly output: Output;
}

/**
 * A LayerNorm of matmul's A rows, computed in the kernel. With `gamma` the rows are normalised
 * on load: (a - mean) * rstd * gamma[k] (+ beta[k]). Without (gamma and beta folded into the
 * weights at compile time), A is only centred on load and the accumulator is scaled by rstd:
 * Σ_k (a - mean)·γ_k·W_kn · rstd = rstd · Σ_k (a - mean)·W'_kn, one subtraction per load.
 */
export interface LayerNormPrologue {
  readonly epsilon: number;
  /** Operand indices of gamma and (optional) beta, both viewed as [K]; null when folded. */
  readonly gamma: number | null;
  readonly beta: number | null;
}

/**
 * out[b, m, n] = epilogue(Σ_k a[b, m, k] · b[b, k, n]) with operands viewed in those index spaces:
 * `a` over [...batch, M, K], `b` over [...batch, K, N], epilogue operands and output over
 * [...batch, M, N].
 */
export interface MatmulWorkload {
  readonly kind: 'matmul';
  readonly batch: readonly number[];
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly a: number;
  readonly b: number;
  readonly operands: readonly Operand[];
  readonly prologue: LayerNormPrologue | null;
  readonly epilogue: EExpr;
  readonly output: Output;
}

/**
 * Row-wise normalisations and softmax: the tensor is viewed as [rows, cols] (operands and output
 * in that index space). `layernorm`: (x - mean)/sqrt(var + eps) * gamma[c] + beta[c];
 * `softmax`: exp(x - max)/Σ; both followed by a pointwise epilogue on ACC.
 */
export interface RowWorkload {
  readonly kind: 'row';
  readonly op: 'layernorm' | 'softmax';
  readonly rows: number;
  readonly cols: number;
  readonly x: number;
  readonly epsilon: number;
  /** layernorm: operand indices of gamma/beta, viewed over [rows, cols] like x. */
  readonly gamma: number | null;
  readonly beta: number | null;
  readonly operands: readonly Operand[];
  readonly epilogue: EExpr;
  readonly output: Output;
}

/**
 * out[i] = epilogue(reduce_{r} body(i, r)) over an output shape and a reduction shape. Operand
 * views are over [...outShape, ...reduceShape] for body operands; epilogue operands over outShape.
 * Covers depthwise/grouped convolution, pooling, reductions.
 */
export interface ReduceWorkload {
  readonly kind: 'reduce';
  readonly shape: readonly number[];
  readonly reduceShape: readonly number[];
  readonly combine: 'sum' | 'max' | 'mean';
  readonly operands: readonly Operand[];
  /** Reduced per (i, r); uses `input` leaves of body operands. */
  readonly body: EExpr;
  /** Indices of operands read inside the body (viewed over out ++ reduce). */
  readonly bodyOperands: readonly number[];
  readonly epilogue: EExpr;
  readonly output: Output;
}

/**
 * Fused attention per leading index: softmax(q kᵀ · scale + bias) v. q over [...batch, Tq, D],
 * k over [...batch, Tk, D], v over [...batch, Tk, Dv], bias over [...batch, Tq, Tk], output over
 * [...batch, Tq, Dv] (views express head split/merge layouts).
 */
export interface AttentionWorkload {
  readonly kind: 'attention';
  /** Leading axes (batch, heads, windows...): one independent attention per index. */
  readonly batch: readonly number[];
  readonly tq: number;
  readonly tk: number;
  readonly d: number;
  readonly dv: number;
  readonly scale: number;
  readonly q: number;
  readonly k: number;
  readonly v: number;
  readonly bias: number | null;
  readonly operands: readonly Operand[];
  readonly output: Output;
  /**
   * Also store, per leading index, query row 0's softmax probabilities and ‖v_j‖₂, each over
   * [...batch, Tk] (views into the output's buffer): PPT's token importance.
   */
  readonly clsStats?: { readonly probs: Output; readonly vnorm: Output };
}

// ---- token reduction (ToMe, PPT) ----------------------------------------------------------------

/**
 * The k largest (or smallest) entries of each row of x viewed as [...rows, n], in order, and
 * their positions; ties keep the lower position first. Values go to `output`, positions (as f32
 * integers, like every index tensor on the GPU) to `indices`, both over [...rows, k] in the same
 * buffer.
 */
export interface TopKWorkload {
  readonly kind: 'top_k';
  readonly rows: readonly number[];
  readonly n: number;
  readonly k: number;
  readonly largest: boolean;
  /** Operand 0 is x. */
  readonly operands: readonly Operand[];
  readonly output: Output;
  readonly indices: Output;
}

/**
 * out[i] = epilogue(x[j]) where x's index j takes, per x axis, output axis `xAxes[a]`, or for the
 * gathered axis (xAxes[a] = -1) the value of the `indices` operand at i (negative counts from
 * the end; clamped into the axis). GatherElements and Gather with dynamic indices.
 */
export interface GatherWorkload {
  readonly kind: 'gather';
  readonly shape: readonly number[];
  /** x over its own shape; indices over `shape`; epilogue operands over `shape`. */
  readonly x: number;
  readonly indices: number;
  readonly xAxes: readonly number[];
  readonly operands: readonly Operand[];
  readonly epilogue: EExpr;
  readonly output: Output;
}

/**
 * out[i] = epilogue(data[i] + Σ updates[p]) over the update positions p that share i's
 * coordinates off `axis` and whose index (the `indices` operand at p) is i's coordinate on it,
 * summed in order of p. data and the output over `shape`; indices and updates over `updateShape`
 * (equal to `shape` off the axis). Element-wise scatter-add without atomics.
 */
export interface ScatterAddWorkload {
  readonly kind: 'scatter_add';
  readonly shape: readonly number[];
  readonly updateShape: readonly number[];
  readonly axis: number;
  readonly data: number;
  readonly indices: number;
  readonly updates: number;
  readonly operands: readonly Operand[];
  readonly epilogue: EExpr;
  readonly output: Output;
}

export type Workload = ElementwiseWorkload | MatmulWorkload | RowWorkload | ReduceWorkload | AttentionWorkload | TopKWorkload | GatherWorkload | ScatterAddWorkload;

/** Canonical serialisation: stable key order, so equal workloads give equal strings. */
export function canonicalJson(x: unknown): string {
  // JSON has no infinities, NaN or -0: spell them out so distinct workloads never share a key.
  if (typeof x === 'number' && (!Number.isFinite(x) || Object.is(x, -0))) return JSON.stringify(Object.is(x, -0) ? '-0' : String(x));
  if (x === null || typeof x !== 'object') return JSON.stringify(x);
  if (Array.isArray(x)) return `[${x.map(canonicalJson).join(',')}]`;
  const o = x as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
    .join(',')}}`;
}
