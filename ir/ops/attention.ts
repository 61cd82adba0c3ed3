import { attr } from '../attrs.js';
import { broadcastShapes, type Dim, shapeToString } from '../dim.js';
import { fail } from '../errors.js';
import { defineOp } from '../op.js';
import { tensorType, type TensorType } from '../types.js';
import { attention } from '../../runtime/reference/kernels/attention.js';
import { attentionClsStats } from '../../runtime/reference/kernels/attention-cls.js';
import { broadcastOffsets } from '../../runtime/reference/kernels/broadcast.js';
import { numbersOf, tensorFrom } from '../../runtime/reference/kernels/storage.js';
import { countPerBatch, requireFloat } from './operand-checks.js';

interface AttentionShapes {
  readonly lead: readonly Dim[];
  readonly tq: Dim;
  readonly tk: Dim;
  readonly d: Dim;
  readonly dv: Dim;
}

function shapesOf(q: TensorType, k: TensorType, v: TensorType, bias: TensorType | undefined): AttentionShapes {
  for (const [t, what] of [[q, 'q'], [k, 'k'], [v, 'v']] as const) {
    requireFloat('attention', t, what);
    if (t.shape.length < 2) fail(`'attention' ${what} must have rank ≥ 2, got ${shapeToString(t.shape)}`);
    if (t.dtype !== q.dtype) fail(`'attention' ${what} has element type ${t.dtype}, q has ${q.dtype}`);
  }
  const r = q.shape.length;
  if (k.shape.length !== r || v.shape.length !== r) fail(`'attention' q, k and v must have the same rank`);
  const lead = q.shape.slice(0, -2);
  if (!k.shape.slice(0, -2).every((x, i) => x === lead[i]) || !v.shape.slice(0, -2).every((x, i) => x === lead[i]))
    fail(`'attention' leading axes differ: q ${shapeToString(q.shape)}, k ${shapeToString(k.shape)}, v ${shapeToString(v.shape)}`);
  const [tq, d] = q.shape.slice(-2) as [Dim, Dim];
  const [tk, dk] = k.shape.slice(-2) as [Dim, Dim];
  const [tv, dv] = v.shape.slice(-2) as [Dim, Dim];
  if (dk !== d) fail(`'attention' key width ${dk} differs from query width ${d}`);
  if (tv !== tk) fail(`'attention' has ${tk} keys but ${tv} values`);
  if (bias) {
    requireFloat('attention', bias, 'bias');
    const full = [...lead, tq, tk];
    const b = broadcastShapes(bias.shape, full);
    if (b.length !== full.length || b.some((x, i) => x !== full[i])) fail(`'attention' bias ${shapeToString(bias.shape)} does not broadcast to the scores ${shapeToString(full)}`);
  }
  return { lead, tq, tk, d, dv };
}

/**
 * Scaled dot-product attention over the last two axes: softmax(q·kᵀ·scale + bias)·v.
 * q [..., Tq, D], k [..., Tk, D], v [..., Tk, Dv], bias broadcastable to [..., Tq, Tk].
 * Produced by the `fuse-attention` pass from matmul/softmax/matmul chains.
 * With `cls_stats` it has two more results, both [..., Tk], for PPT's token importance: the
 * attention probabilities of query row 0 (the class token) and the L2 norm of each value row.
 */
export const Attention = defineOp({
  name: 'attention',
  summary: 'softmax(q·kᵀ·scale + bias)·v',
  attrs: { scale: attr.float(1), cls_stats: attr.bool(false) },
  inputs: ['q', 'k', 'v', 'bias?'],
  outputs: (a) => (a.cls_stats ? 3 : 1),
  infer: ([q, k, v, bias], a) => {
    const s = shapesOf(q!, k!, v!, bias);
    const out = tensorType(q!.dtype, [...s.lead, s.tq, s.dv]);
    if (!a.cls_stats) return [out];
    if (s.tq === 0) fail(`'attention' with cls_stats needs at least one query row`);
    const row = tensorType(q!.dtype, [...s.lead, s.tk]);
    return [out, row, row];
  },
  reference: ([q, k, v, bias], a) => {
    const s = shapesOf(q!, k!, v!, bias);
    const [tq, tk, d, dv] = [s.tq, s.tk, s.d, s.dv] as number[] as [number, number, number, number];
    const batch = (s.lead as number[]).reduce((x, y) => x * y, 1);
    let biasAt: ((b: number, i: number, j: number) => number) | undefined;
    if (bias) {
      const offs = broadcastOffsets(bias.shape, [...(s.lead as number[]), tq, tk]);
      const bv = numbersOf(bias);
      biasAt = (b, i, j) => bv[offs[(b * tq + i) * tk + j]!]!;
    }
    const [qn, kn, vn] = [numbersOf(q!), numbersOf(k!), numbersOf(v!)];
    const out = tensorFrom(q!.dtype, [...(s.lead as number[]), tq, dv], attention(qn, kn, vn, batch, tq, tk, d, dv, a.scale, biasAt));
    if (!a.cls_stats) return [out];
    const stats = attentionClsStats(qn, kn, vn, batch, tq, tk, d, dv, a.scale, biasAt);
    const rowShape = [...(s.lead as number[]), tk];
    return [out, tensorFrom(q!.dtype, rowShape, stats.probs), tensorFrom(q!.dtype, rowShape, stats.vnorm)];
  },
  flops: ([q, k, v], _outs, a) => {
    const b = countPerBatch(q!.shape.slice(0, -2));
    const [tq, d] = q!.shape.slice(-2).map((x) => (typeof x === 'number' ? x : 1)) as [number, number];
    const tk = typeof k!.shape[k!.shape.length - 2] === 'number' ? (k!.shape[k!.shape.length - 2] as number) : 1;
    const dv = typeof v!.shape[v!.shape.length - 1] === 'number' ? (v!.shape[v!.shape.length - 1] as number) : 1;
    // The class-token row is recomputed for its probabilities; value norms are 2 per element.
    return b * tq * tk * (2 * d + 2 * dv + 5) + (a.cls_stats ? b * tk * (2 * d + 5 + 2 * dv) : 0);
  },
});
