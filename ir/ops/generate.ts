import { attr } from '../attrs.js';
import { isStatic, shapeToString } from '../dim.js';
import { fail } from '../errors.js';
import { defineOp } from '../op.js';
import { Tensor } from '../tensor.js';
import { tensorType } from '../types.js';
import { storedValue, tensorFrom } from '../../runtime/reference/kernels/storage.js';

function rangeLength(start: number, limit: number, delta: number): number {
  if (delta === 0 || !Number.isFinite(delta)) fail(`'range' delta must be a finite non-zero number, got ${delta}`);
  return Math.max(Math.ceil((limit - start) / delta), 0);
}

/** ONNX Range: start, start + delta, … up to (excluding) limit. */
export const Range = defineOp({
  name: 'range',
  summary: 'arithmetic sequence',
  attrs: { start: attr.float(), limit: attr.float(), delta: attr.float(), dtype: attr.dtype() },
  inputs: [],
  outputs: 1,
  infer: (_ins, a) => {
    if (a.dtype === 'bool') fail(`'range' cannot produce bool`);
    return [tensorType(a.dtype, [rangeLength(a.start, a.limit, a.delta)])];
  },
  reference: (_ins, a) => {
    const n = rangeLength(a.start, a.limit, a.delta);
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) values[i] = a.start + i * a.delta;
    return [tensorFrom(a.dtype, [n], values)];
  },
});

/** A tensor of one value, of a possibly symbolic shape (e.g. an attention mask of [N, …]). */
export const Fill = defineOp({
  name: 'fill',
  summary: 'constant-valued tensor',
  attrs: { shape: attr.dims(), value: attr.float(), dtype: attr.dtype() },
  inputs: [],
  outputs: 1,
  infer: (_ins, a) => {
    if (a.shape.some((d) => isStatic(d) && d < 0)) fail(`'fill' shape ${shapeToString(a.shape)} has a negative size`);
    return [tensorType(a.dtype, a.shape)];
  },
  reference: (_ins, a) => {
    const t = new Tensor(a.dtype, a.shape);
    t.data.fill(storedValue(a.dtype, a.value));
    return [t];
  },
});
