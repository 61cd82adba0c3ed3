import { attr } from '../attrs.js';
import { type Dim, isStatic, normAxis, shapeToString } from '../dim.js';
import { fail } from '../errors.js';
import { defineOp } from '../op.js';
import type { Tensor } from '../tensor.js';
import { type TensorType, tensorType } from '../types.js';
import { gatherElements, scatterAdd } from '../../runtime/reference/kernels/scatter-gather.js';
import { numbersOf, tensorFrom } from '../../runtime/reference/kernels/storage.js';
import { countPerBatch, requireIndex, requireSameDtype } from './operand-checks.js';

/**
 * Checks that `idx` (the indices, or the updates of a scatter) addresses `x` element-wise along
 * `axis`: same rank, and off the axis no longer than x (equal where symbolic). Returns the axis.
 */
function elementwiseIndexing(op: string, x: TensorType, idx: TensorType, axis: number, what: string): number {
  const r = x.shape.length;
  if (idx.shape.length !== r) fail(`'${op}' ${what} ${shapeToString(idx.shape)} must have the rank of ${shapeToString(x.shape)}`);
  const ax = normAxis(axis, r, `'${op}' axis`);
  idx.shape.forEach((d, a) => {
    if (a === ax) return;
    const xd = x.shape[a]!;
    const fits = d === xd || (isStatic(d) && isStatic(xd) && d <= xd);
    if (!fits) fail(`'${op}' ${what} ${shapeToString(idx.shape)} exceed ${shapeToString(x.shape)} on axis ${a}`);
  });
  return ax;
}

/** Indices made non-negative; an index outside the axis is an error (as in ONNX). */
function checkedIndices(op: string, idx: Tensor, d: number, axis: number): Float64Array {
  const out = new Float64Array(idx.size);
  for (let i = 0; i < idx.size; i++) {
    const v = idx.get(i);
    const j = v < 0 ? v + d : v;
    if (!(j >= 0 && j < d)) fail(`'${op}' index ${v} is out of range for axis ${axis} of size ${d}`);
    out[i] = j;
  }
  return out;
}

/**
 * ONNX GatherElements: out[p] = x[p with axis replaced by indices[p]]; the result has the shape
 * of the indices. Per-image token selection: x [B, T, C], indices [B, K, C] (an expand of
 * [B, K, 1]) picks K tokens of each image.
 */
export const GatherElements = defineOp({
  name: 'gather_elements',
  summary: 'x at per-element indices along an axis',
  attrs: { axis: attr.int(0) },
  inputs: ['x', 'indices'],
  outputs: 1,
  traits: { layout: true },
  infer: ([x, idx], a) => {
    requireIndex('gather_elements', idx!);
    elementwiseIndexing('gather_elements', x!, idx!, a.axis, 'indices');
    return [tensorType(x!.dtype, idx!.shape)];
  },
  reference: ([x, idx], a) => {
    const ax = elementwiseIndexing('gather_elements', x!, idx!, a.axis, 'indices');
    const j = checkedIndices('gather_elements', idx!, x!.shape[ax]!, ax);
    return [tensorFrom(x!.dtype, idx!.shape, gatherElements(numbersOf(x!), x!.shape, j, idx!.shape, ax))];
  },
});

function scatterShapes(data: TensorType, idx: TensorType, upd: TensorType, axis: number): { axis: number; shape: readonly Dim[] } {
  requireIndex('scatter_add', idx);
  requireSameDtype('scatter_add', data.dtype, upd, 'updates');
  if (upd.shape.length !== idx.shape.length || upd.shape.some((d, i) => d !== idx.shape[i]))
    fail(`'scatter_add' updates ${shapeToString(upd.shape)} and indices ${shapeToString(idx.shape)} must have the same shape`);
  return { axis: elementwiseIndexing('scatter_add', data, upd, axis, 'updates'), shape: data.shape };
}

/**
 * ONNX ScatterElements with reduction "add": a copy of data where each update is added at its
 * position with the axis coordinate replaced by its index. Repeated indices accumulate (in
 * update order). ToMe adds the source tokens into their matched destinations with it.
 */
export const ScatterAdd = defineOp({
  name: 'scatter_add',
  summary: 'data plus updates added at per-element indices along an axis',
  attrs: { axis: attr.int(0) },
  inputs: ['data', 'indices', 'updates'],
  outputs: 1,
  infer: ([data, idx, upd], a) => [tensorType(data!.dtype, scatterShapes(data!, idx!, upd!, a.axis).shape)],
  reference: ([data, idx, upd], a) => {
    const { axis } = scatterShapes(data!, idx!, upd!, a.axis);
    const j = checkedIndices('scatter_add', idx!, data!.shape[axis]!, axis);
    return [tensorFrom(data!.dtype, data!.shape, scatterAdd(numbersOf(data!), data!.shape, j, numbersOf(upd!), upd!.shape, axis))];
  },
  flops: ([, , upd]) => countPerBatch(upd!.shape),
});
