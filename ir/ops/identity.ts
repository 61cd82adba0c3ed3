import { attr } from '../attrs.js';
import { fail } from '../errors.js';
import { defineOp } from '../op.js';

/** x unchanged; canonicalize removes it. */
export const Identity = defineOp({
  name: 'identity',
  summary: 'x',
  attrs: {},
  inputs: ['x'],
  outputs: 1,
  traits: { elementwise: true, layout: true },
  infer: ([x]) => [x!],
  reference: ([x]) => [x!],
});

/** Dropout at inference time: x unchanged (the ratio is kept only for round-tripping). */
export const Dropout = defineOp({
  name: 'dropout',
  summary: 'inference-mode dropout (x)',
  attrs: { ratio: attr.float(0.5) },
  inputs: ['x'],
  outputs: 1,
  traits: { elementwise: true, layout: true },
  infer: ([x], a) => {
    if (!(a.ratio >= 0 && a.ratio < 1)) fail(`'dropout' ratio must be in [0, 1), got ${a.ratio}`);
    return [x!];
  },
  reference: ([x]) => [x!],
});
