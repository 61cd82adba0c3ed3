import { attr } from '../attrs.js';
import { dimMul } from '../dim.js';
import { allocStorage } from '../dtype.js';
import { fail } from '../errors.js';
import { defineOp } from '../op.js';
import { stridesOf, Tensor } from '../tensor.js';
import { type TensorType, tensorType } from '../types.js';
import { gatherCopy } from '../../runtime/reference/kernels/gather-copy.js';

function tiledShape(x: TensorType, repeats: readonly number[]) {
  const r = x.shape.length;
  if (repeats.length !== r) fail(`'tile' repeats has ${repeats.length} values, expected ${r}`);
  if (repeats.some((k) => k < 0)) fail(`'tile' repeats [${repeats.join(',')}] must be non-negative`);
  return x.shape.map((d, i) => dimMul(d, repeats[i]!));
}

/** ONNX Tile: axis i repeated repeats[i] times (a symbolic axis becomes a multiple of itself). */
export const Tile = defineOp({
  name: 'tile',
  summary: 'repeat along each axis',
  attrs: { repeats: attr.ints() },
  inputs: ['x'],
  outputs: 1,
  traits: { layout: true },
  infer: ([x], a) => [tensorType(x!.dtype, tiledShape(x!, a.repeats))],
  reference: ([x], a) => {
    const shape = tiledShape(x!, a.repeats) as number[];
    const strides = stridesOf(x!.shape);
    const offsets = shape.map((n, ax) => {
      const d = x!.shape[ax]!;
      const o = new Int32Array(n);
      for (let i = 0; i < n; i++) o[i] = (i % d) * strides[ax]!;
      return o;
    });
    const out = allocStorage(x!.dtype, shape.reduce((p, d) => p * d, 1));
    gatherCopy(x!.data, shape, offsets, 0, out);
    return [new Tensor(x!.dtype, shape, out)];
  },
});
