import { attr } from '../attrs.js';
import { defineOp } from '../op.js';
import { typeOf } from '../types.js';

/** A constant tensor (weights, folded values). Large ones print as references into the weights file. */
export const Const = defineOp({
  name: 'const',
  summary: 'a constant tensor',
  attrs: { value: attr.tensor() },
  inputs: [],
  outputs: 1,
  infer: (_inputs, a) => [typeOf(a.value)],
  reference: (_inputs, a) => [a.value],
});
