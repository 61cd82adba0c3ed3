import { attr } from '../attrs.js';
import { normAxis } from '../dim.js';
import { defineOp } from '../op.js';
import { softmax } from '../../runtime/reference/kernels/softmax.js';
import { numbersOf, tensorFrom } from '../../runtime/reference/kernels/storage.js';
import { countPerBatch, requireFloat, staticAxis } from './operand-checks.js';
import { outerInner } from './axis-view.js';

/** FLOPs per element: max, subtract, exp, sum, scale. */
const SOFTMAX_FLOPS = 5;

/** Softmax along one axis (ONNX opset ≥ 13 semantics), computed stably. */
export const Softmax = defineOp({
  name: 'softmax',
  summary: 'exp(x − max) / sum exp(x − max) along one axis',
  attrs: { axis: attr.int(-1) },
  inputs: ['x'],
  outputs: 1,
  infer: ([x], a) => {
    requireFloat('softmax', x!);
    staticAxis('softmax', x!.shape, normAxis(a.axis, x!.shape.length, `'softmax' axis`), 'softmax');
    return [x!];
  },
  reference: ([x], a) => {
    const { outer, d, inner } = outerInner(x!.shape, normAxis(a.axis, x!.rank, `'softmax' axis`));
    return [tensorFrom(x!.dtype, x!.shape, softmax(numbersOf(x!), outer, d, inner))];
  },
  flops: ([x]) => SOFTMAX_FLOPS * countPerBatch(x!.shape),
});
