import { attr } from '../attrs.js';
import { type Dim, dimAdd, isStatic, normAxis, shapeToString } from '../dim.js';
import { allocStorage } from '../dtype.js';
import { fail } from '../errors.js';
import { defineOp } from '../op.js';
import { Tensor } from '../tensor.js';
import { type TensorType, tensorType } from '../types.js';
import { copyBlocks } from '../../runtime/reference/kernels/gather-copy.js';
import { outerInner } from './axis-view.js';
import { requireSameDtype } from './operand-checks.js';

function concatShape(xs: readonly TensorType[], axis: number): Dim[] {
  const first = xs[0]!;
  const r = first.shape.length;
  const ax = normAxis(axis, r, `'concat' axis`);
  let size: Dim = 0;
  xs.forEach((x, k) => {
    requireSameDtype('concat', first.dtype, x, `operand ${k}`);
    if (x.shape.length !== r || x.shape.some((d, i) => i !== ax && d !== first.shape[i]))
      fail(`'concat' operand ${k} ${shapeToString(x.shape)} does not match ${shapeToString(first.shape)} off axis ${ax}`);
    size = dimAdd(size, x.shape[ax]!);
  });
  return first.shape.map((d, i) => (i === ax ? size : d));
}

/** Concatenates along one axis; a symbolic axis adds up ([N,…] ++ [N,…] = [2*N,…]). */
export const Concat = defineOp({
  name: 'concat',
  summary: 'concatenate along an axis',
  attrs: { axis: attr.int() },
  inputs: ['xs...'],
  outputs: 1,
  traits: { layout: true },
  infer: (xs, a) => [tensorType(xs[0]!.dtype, concatShape(xs, a.axis))],
  reference: (xs, a) => {
    const shape = concatShape(xs, a.axis) as number[];
    const ax = normAxis(a.axis, shape.length);
    const { outer, d, inner } = outerInner(shape, ax);
    const out = allocStorage(xs[0]!.dtype, outer * d * inner);
    let at = 0;
    for (const x of xs) {
      const block = x.shape[ax]! * inner;
      copyBlocks(x.data, 0, block, out, at * inner, d * inner, outer, block);
      at += x.shape[ax]!;
    }
    return [new Tensor(xs[0]!.dtype, shape, out)];
  },
});

function splitAxis(x: TensorType, axis: number, sizes: readonly number[]): number {
  const ax = normAxis(axis, x.shape.length, `'split' axis`);
  const d = x.shape[ax]!;
  if (!isStatic(d)) fail(`'split' needs a static axis, but axis ${ax} of ${shapeToString(x.shape)} is symbolic (${d})`);
  if (sizes.length === 0 || sizes.some((s) => s < 0)) fail(`'split' sizes [${sizes.join(',')}] must be non-negative, at least one`);
  const sum = sizes.reduce((p, s) => p + s, 0);
  if (sum !== d) fail(`'split' sizes [${sizes.join(',')}] add up to ${sum}, axis ${ax} has ${d}`);
  return ax;
}

/** Splits one static axis into consecutive pieces of the given sizes, one result each. */
export const Split = defineOp({
  name: 'split',
  summary: 'split along an axis',
  attrs: { axis: attr.int(), sizes: attr.ints() },
  inputs: ['x'],
  outputs: (a) => a.sizes.length,
  traits: { layout: true },
  infer: ([x], a) => {
    const ax = splitAxis(x!, a.axis, a.sizes);
    return a.sizes.map((s) => tensorType(x!.dtype, x!.shape.map((d, i) => (i === ax ? s : d))));
  },
  reference: ([x], a) => {
    const ax = splitAxis(x!, a.axis, a.sizes);
    const { outer, d, inner } = outerInner(x!.shape, ax);
    let at = 0;
    return a.sizes.map((s) => {
      const shape = x!.shape.map((n, i) => (i === ax ? s : n));
      const out = allocStorage(x!.dtype, outer * s * inner);
      copyBlocks(x!.data, at * inner, d * inner, out, 0, s * inner, outer, s * inner);
      at += s;
      return new Tensor(x!.dtype, shape, out);
    });
  },
});
