import { attr } from '../attrs.js';
import { type Dim, isStatic, normAxis, shapeToString } from '../dim.js';
import { allocStorage } from '../dtype.js';
import { fail } from '../errors.js';
import { defineOp } from '../op.js';
import { Tensor } from '../tensor.js';
import { type TensorType, tensorType } from '../types.js';
import { copyBlocks } from '../../runtime/reference/kernels/gather-copy.js';
import { outerInner } from './axis-view.js';
import { requireIndex, requireSameDtype } from './operand-checks.js';

/** An index into an axis of size d, negative counting from the end; out of range is an error. */
function checkedIndex(op: string, i: number, d: number, axis: number): number {
  const j = i < 0 ? i + d : i;
  if (!(j >= 0 && j < d)) fail(`'${op}' index ${i} is out of range for axis ${axis} of size ${d}`);
  return j;
}

function gatherShape(x: TensorType, idx: TensorType, axis: number): Dim[] {
  requireIndex('gather', idx);
  const ax = normAxis(axis, x.shape.length, `'gather' axis`);
  return [...x.shape.slice(0, ax), ...idx.shape, ...x.shape.slice(ax + 1)];
}

/** ONNX Gather: picks entries of one axis by index (i32/i64, negative from the end). */
export const Gather = defineOp({
  name: 'gather',
  summary: 'take entries along an axis',
  attrs: { axis: attr.int(0) },
  inputs: ['x', 'indices'],
  outputs: 1,
  traits: { layout: true },
  infer: ([x, idx], a) => [tensorType(x!.dtype, gatherShape(x!, idx!, a.axis))],
  reference: ([x, idx], a) => {
    const shape = gatherShape(x!, idx!, a.axis) as number[];
    const ax = normAxis(a.axis, x!.rank);
    const { outer, d, inner } = outerInner(x!.shape, ax);
    const ind = idx!.data;
    const count = ind.length;
    const out = allocStorage(x!.dtype, outer * count * inner);
    for (let k = 0; k < count; k++) {
      const j = checkedIndex('gather', ind[k]!, d, ax);
      copyBlocks(x!.data, j * inner, d * inner, out, k * inner, count * inner, outer, inner);
    }
    return [new Tensor(x!.dtype, shape, out)];
  },
});

/** Checks ScatterND operands; returns k, the length of one index tuple. */
function checkScatter(data: TensorType, idx: TensorType, upd: TensorType): number {
  requireIndex('scatter_nd', idx);
  requireSameDtype('scatter_nd', data.dtype, upd, 'updates');
  const q = idx.shape.length;
  const k = idx.shape[q - 1];
  if (q < 1 || k === undefined || !isStatic(k) || k < 1 || k > data.shape.length)
    fail(`'scatter_nd' indices ${shapeToString(idx.shape)} must end in a static tuple length between 1 and ${data.shape.length}`);
  const want = [...idx.shape.slice(0, -1), ...data.shape.slice(k)];
  if (upd.shape.length !== want.length || upd.shape.some((d, i) => d !== want[i]))
    fail(`'scatter_nd' updates ${shapeToString(upd.shape)} must have shape ${shapeToString(want)}`);
  return k;
}

/** ONNX ScatterND without reduction: a copy of data with indexed slices replaced, in index order. */
export const ScatterNd = defineOp({
  name: 'scatter_nd',
  summary: 'write slices of data at index tuples',
  attrs: {},
  inputs: ['data', 'indices', 'updates'],
  outputs: 1,
  infer: ([data, idx, upd]) => {
    checkScatter(data!, idx!, upd!);
    return [data!];
  },
  reference: ([data, idx, upd]) => {
    const k = checkScatter(data!, idx!, upd!);
    const out = data!.data.slice();
    const sliceLen = data!.shape.slice(k).reduce((p, d) => p * d, 1);
    const tuples = idx!.size / k;
    const ind = idx!.data;
    for (let t = 0; t < tuples; t++) {
      let off = 0;
      for (let j = 0; j < k; j++) off = off * data!.shape[j]! + checkedIndex('scatter_nd', ind[t * k + j]!, data!.shape[j]!, j);
      copyBlocks(upd!.data, t * sliceLen, 0, out, off * sliceLen, 0, 1, sliceLen);
    }
    return [new Tensor(data!.dtype, data!.shape, out)];
  },
});
