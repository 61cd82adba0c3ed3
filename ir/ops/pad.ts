import { attr } from '../attrs.js';
import { type Dim, dimAdd, isStatic, shapeToString } from '../dim.js';
import { allocStorage } from '../dtype.js';
import { fail } from '../errors.js';
import { defineOp } from '../op.js';
import { stridesOf, Tensor } from '../tensor.js';
import { type TensorType, tensorType } from '../types.js';
import { gatherCopy } from '../../runtime/reference/kernels/gather-copy.js';
import { storedValue } from '../../runtime/reference/kernels/storage.js';

type PadMode = 'constant' | 'reflect' | 'edge';

function paddedShape(x: TensorType, pads: readonly number[], mode: string): Dim[] {
  const r = x.shape.length;
  if (pads.length !== 2 * r) fail(`'pad' pads has ${pads.length} values, expected ${2 * r} for rank ${r}`);
  return x.shape.map((d, i) => {
    const [b, e] = [pads[i]!, pads[r + i]!];
    if (!isStatic(d)) {
      if (b !== 0 || e !== 0) fail(`'pad' cannot pad symbolic axis ${i} of ${shapeToString(x.shape)}`);
      return d;
    }
    const kept = d - Math.max(0, -b) - Math.max(0, -e);
    if (kept < 0) fail(`'pad' pads ${b},${e} crop more than the ${d} elements of axis ${i}`);
    if (kept === 0 && mode !== 'constant' && (b > 0 || e > 0)) fail(`'pad' ${mode} mode has no elements to copy on axis ${i}`);
    // Reflection does not repeat the edge, so it can add at most kept − 1 elements per side.
    if (mode === 'reflect' && Math.max(b, e) > kept - 1)
      fail(`'pad' reflect pads ${b},${e} exceed ${kept - 1}, the most axis ${i} (${kept} elements after cropping) can mirror`);
    return dimAdd(d, b + e);
  });
}

/**
 * Source offset for each output index along one axis, −1 where the constant goes. Negative pads
 * crop first; reflect and edge then read the cropped range (as ONNX Runtime does, which
 * also limits reflection to one fold).
 */
function padOffsets(d: number, b: number, e: number, mode: PadMode, stride: number): Int32Array {
  const lo = Math.max(0, -b);
  const n = d - lo - Math.max(0, -e);
  const before = Math.max(0, b);
  const out = new Int32Array(n + before + Math.max(0, e));
  for (let o = 0; o < out.length; o++) {
    let i = o - before;
    if (i < 0 || i >= n) {
      if (mode === 'constant') {
        out[o] = -1;
        continue;
      }
      if (mode === 'edge') i = i < 0 ? 0 : n - 1;
      else i = i < 0 ? -i : 2 * (n - 1) - i;
    }
    out[o] = (lo + i) * stride;
  }
  return out;
}

/** ONNX Pad: pads = [begin…, end…] per axis (negative crops); constant, reflect or edge. */
export const Pad = defineOp({
  name: 'pad',
  summary: 'pad (or crop) each axis',
  attrs: { pads: attr.ints(), mode: attr.oneOf(['constant', 'reflect', 'edge'], 'constant'), value: attr.float(0) },
  inputs: ['x'],
  outputs: 1,
  infer: ([x], a) => [tensorType(x!.dtype, paddedShape(x!, a.pads, a.mode))],
  reference: ([x], a) => {
    const shape = paddedShape(x!, a.pads, a.mode) as number[];
    const r = x!.rank;
    const strides = stridesOf(x!.shape);
    const offsets = x!.shape.map((d, i) => padOffsets(d, a.pads[i]!, a.pads[r + i]!, a.mode as PadMode, strides[i]!));
    const out = allocStorage(x!.dtype, shape.reduce((p, d) => p * d, 1));
    gatherCopy(x!.data, shape, offsets, storedValue(x!.dtype, a.value), out);
    return [new Tensor(x!.dtype, shape, out)];
  },
});
