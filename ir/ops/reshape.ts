import { attr } from '../attrs.js';
import { broadcastShapes, dimProduct, isStatic, shapeToString } from '../dim.js';
import { allocStorage } from '../dtype.js';
import { fail } from '../errors.js';
import { defineOp } from '../op.js';
import { Tensor } from '../tensor.js';
import { tensorType } from '../types.js';
import { broadcastStrides } from '../../runtime/reference/kernels/broadcast.js';
import { gatherCopy, stridedOffsets } from '../../runtime/reference/kernels/gather-copy.js';

/**
 * Reinterprets x with a fully specified shape (ONNX's -1 and 0 are resolved at import). The
 * element counts must agree as symbolic products: [N,197,192] → [N,197,3,64] and [N,4] → [4,N]
 * are fine, [N,8] → [N,4] or [N,4] → [4,8] are not.
 */
export const Reshape = defineOp({
  name: 'reshape',
  summary: 'same elements, new shape',
  attrs: { shape: attr.dims() },
  inputs: ['x'],
  outputs: 1,
  traits: { layout: true },
  infer: ([x], a) => {
    if (a.shape.some((d) => isStatic(d) && d < 0)) fail(`'reshape' target ${shapeToString(a.shape)} must be fully specified (no -1)`);
    const from = dimProduct(x!.shape);
    const to = dimProduct(a.shape);
    if (from !== to)
      fail(`'reshape' cannot reshape ${shapeToString(x!.shape)} (${from} elements) to ${shapeToString(a.shape)} (${to} elements)`);
    return [tensorType(x!.dtype, a.shape)];
  },
  reference: ([x], a) => {
    const n = a.shape.reduce((p, d) => p * d, 1);
    if (n !== x!.size) fail(`'reshape' cannot reshape [${x!.shape.join(',')}] to [${a.shape.join(',')}]`);
    return [x!.reshape(a.shape)];
  },
});

/** Broadcasts x against `shape` both ways, as ONNX Expand does (a 1 in `shape` keeps x's size). */
export const Expand = defineOp({
  name: 'expand',
  summary: 'broadcast to a shape',
  attrs: { shape: attr.dims() },
  inputs: ['x'],
  outputs: 1,
  traits: { layout: true },
  infer: ([x], a) => [tensorType(x!.dtype, broadcastShapes(x!.shape, a.shape))],
  reference: ([x], a) => {
    const shape = broadcastShapes(x!.shape, a.shape) as number[];
    const strides = broadcastStrides(x!.shape, shape);
    const out = allocStorage(x!.dtype, shape.reduce((p, d) => p * d, 1));
    gatherCopy(x!.data, shape, shape.map((d, i) => stridedOffsets(d, 0, 1, strides[i]!)), 0, out);
    return [new Tensor(x!.dtype, shape, out)];
  },
});
