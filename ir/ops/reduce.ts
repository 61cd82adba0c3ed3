import { attr } from '../attrs.js';
import { type Dim, normAxis } from '../dim.js';
import { fail } from '../errors.js';
import { defineOp } from '../op.js';
import { type TensorType, tensorType } from '../types.js';
import { argMax, reduceAxes, type ReduceKind } from '../../runtime/reference/kernels/reduce.js';
import { numbersOf, tensorFrom } from '../../runtime/reference/kernels/storage.js';
import { outerInner } from './axis-view.js';
import { countPerBatch, normAxes, requireNumeric, staticAxes } from './operand-checks.js';

/** The reduced-axis flags (empty `axes` = all) and the result shape. Reduced axes must be static. */
function reduction(op: string, x: TensorType, axes: readonly number[], keepdims: boolean): { reduced: boolean[]; shape: Dim[] } {
  requireNumeric(op, x);
  const r = x.shape.length;
  const list = axes.length === 0 ? [...Array(r).keys()] : normAxes(op, axes, r);
  const reduced = x.shape.map((_, i) => list.includes(i));
  for (const ax of list) staticAxes(op, x.shape, ax, ax + 1, 'reduced');
  const shape: Dim[] = [];
  x.shape.forEach((d, i) => {
    if (!reduced[i]) shape.push(d);
    else if (keepdims) shape.push(1);
  });
  return { reduced, shape };
}

function reduceOp(name: string, summary: string, kind: ReduceKind, mean: boolean) {
  return defineOp({
    name,
    summary,
    attrs: { axes: attr.ints([]), keepdims: attr.bool(true) },
    inputs: ['x'],
    outputs: 1,
    infer: ([x], a) => [tensorType(x!.dtype, reduction(name, x!, a.axes, a.keepdims).shape)],
    reference: ([x], a) => {
      const { reduced, shape } = reduction(name, x!, a.axes, a.keepdims);
      const out = reduceAxes(numbersOf(x!), x!.shape, reduced, kind);
      if (mean) {
        const count = x!.shape.reduce((p, d, i) => (reduced[i] ? p * d : p), 1);
        for (let i = 0; i < out.length; i++) out[i]! /= count;
      }
      return [tensorFrom(x!.dtype, shape as number[], out)];
    },
    flops: ([x]) => countPerBatch(x!.shape),
  });
}

/** Reductions; an empty `axes` reduces every axis (ONNX's noop_with_empty_axes is resolved at import). */
export const ReduceMean = reduceOp('reduce_mean', 'mean over axes', 'sum', true);
export const ReduceSum = reduceOp('reduce_sum', 'sum over axes', 'sum', false);
export const ReduceMax = reduceOp('reduce_max', 'maximum over axes', 'max', false);

/** Index (i64) of the first maximum along one static axis. */
export const ArgMax = defineOp({
  name: 'arg_max',
  summary: 'index of the first maximum along an axis',
  attrs: { axis: attr.int(), keepdims: attr.bool(true) },
  inputs: ['x'],
  outputs: 1,
  infer: ([x], a) => {
    const { shape } = reduction('arg_max', x!, [a.axis], a.keepdims);
    if (x!.shape[normAxis(a.axis, x!.shape.length)] === 0) fail(`'arg_max' axis ${a.axis} is empty`);
    return [tensorType('i64', shape)];
  },
  reference: ([x], a) => {
    const ax = normAxis(a.axis, x!.rank, `'arg_max' axis`);
    const { outer, d, inner } = outerInner(x!.shape, ax);
    const { shape } = reduction('arg_max', x!, [a.axis], a.keepdims);
    return [tensorFrom('i64', shape as number[], argMax(numbersOf(x!), outer, d, inner))];
  },
  flops: ([x]) => countPerBatch(x!.shape),
});
