import { attr } from '../../../ir/attrs.js';
import { normAxis } from '../../../ir/dim.js';
import { fail } from '../../../ir/errors.js';
import { defineOp, type OpDef } from '../../../ir/op.js';
import { lookupOp } from '../../../ir/ops/index.js';
import { tensorType } from '../../../ir/types.js';

/**
 * Ops that exist only for the text IR tests: together they use every attribute kind, a result
 * count that depends on attributes, optional operands and zero-operand ops. The parser reaches them
 * through its `lookupOp` option, exactly as it reaches registry ops.
 */
const unused = (): never => fail('not executed in these tests');

export const EveryAttr = defineOp({
  name: 'every_attr',
  summary: 'identity carrying one attribute of each kind',
  attrs: {
    req: attr.int(),
    i: attr.int(-1),
    f: attr.float(1e-5),
    b: attr.bool(false),
    mode: attr.oneOf(['none', 'tanh'], 'none'),
    label: attr.string(''),
    is: attr.ints([]),
    fs: attr.floats([]),
    ds: attr.dims([]),
    dt: attr.dtype('f32'),
    t: attr.optional('tensor'),
    maybe: attr.optional('float'),
  },
  inputs: ['x'],
  outputs: 1,
  infer: ([x]) => [x!],
  reference: unused,
});

export const SplitN = defineOp({
  name: 'split_n',
  summary: 'split along an axis into pieces of the given sizes',
  attrs: { axis: attr.int(), sizes: attr.ints() },
  inputs: ['x'],
  outputs: (a) => a.sizes.length,
  infer: ([x], a) => {
    const ax = normAxis(a.axis, x!.shape.length);
    const total = a.sizes.reduce((p, q) => p + q, 0);
    if (x!.shape[ax] !== total) fail(`'split_n' sizes add up to ${total}, axis ${ax} is ${x!.shape[ax]}`);
    return a.sizes.map((s) => tensorType(x!.dtype, x!.shape.map((d, i) => (i === ax ? s : d))));
  },
  reference: unused,
});

export const FillSym = defineOp({
  name: 'fill_sym',
  summary: 'a tensor of a possibly symbolic shape',
  attrs: { shape: attr.dims(), dtype: attr.dtype('f32') },
  inputs: [],
  outputs: 1,
  infer: (_x, a) => [tensorType(a.dtype, a.shape)],
  reference: unused,
});

export const WithBias = defineOp({
  name: 'with_bias',
  summary: 'x, with an optional second operand',
  attrs: {},
  inputs: ['x', 'bias?'],
  outputs: 1,
  infer: ([x]) => [x!],
  reference: unused,
});

const SAMPLE_OPS = new Map<string, OpDef>([EveryAttr, SplitN, FillSym, WithBias].map((op) => [op.name, op as unknown as OpDef]));

/** Sample ops first, then the registry. */
export function lookupSampleOp(name: string): OpDef | undefined {
  return SAMPLE_OPS.get(name) ?? lookupOp(name);
}
