import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VitcError } from '../../../ir/errors.js';
import { isOp } from '../../../ir/graph.js';
import type { Known } from '../../../ir/onnx/known-values.js';
import { knownConst, knownSym } from '../../../ir/onnx/known-values.js';
import { evalSymbolic } from '../../../ir/onnx/sym-eval.js';
import { normalizeAttrs } from '../../../ir/normalize-attrs.js';
import { Add, Cast, Concat, Div, Equal, Fill, Gather, Greater, Less, Mod, Mul, Reshape, Slice, Sub, Where } from '../../../ir/ops/index.js';
import type { OpDef } from '../../../ir/op.js';
import { Tensor } from '../../../ir/tensor.js';
import { a, buildModel, i64, type ModelSpec } from '../../helpers/onnx-build.js';
import { opCounts, ortChecker, out, v } from './single-op.js';
import { importOnnx } from '../../../ir/onnx/import.js';
import { readOnnxBytes } from '../../../ir/onnx/read-model.js';

const check = ortChecker();

function sym(elems: (number | string)[], shape = [elems.length]): Known {
  return knownSym('i64', shape, elems);
}
function c(values: number[], shape = [values.length], dtype: 'i64' | 'f32' | 'bool' = 'i64'): Known {
  return knownConst(Tensor.fromNumbers(dtype, shape, values));
}
function run(op: OpDef, inputs: Known[], attrs: Record<string, unknown> = {}): (number | string)[] {
  const [r] = evalSymbolic(op, inputs, normalizeAttrs(op, attrs as never));
  if (r!.kind === 'sym') return [...r!.sym.elems];
  if (r!.kind === 'const') return r!.tensor.toNumbers();
  throw new Error(`unexpected ${r!.kind}`);
}

test('symbolic arithmetic on shape vectors', () => {
  assert.deepEqual(run(Mul, [sym(['N', 4]), c([2])]), ['2*N', 8]);
  assert.deepEqual(run(Div, [sym(['4*N', 7]), c([2])]), ['2*N', 3]);
  assert.deepEqual(run(Add, [sym(['N']), sym(['2*N'])]), ['3*N']);
  assert.deepEqual(run(Sub, [sym(['3*N', 5]), sym(['N', 2])]), ['2*N', 3]);
  assert.deepEqual(run(Mod, [sym(['4*N']), c([2])]), [0]);
  assert.throws(() => run(Div, [sym(['N']), c([3])]), (e: unknown) => e instanceof VitcError && /not divisible by 3/.test(e.message));
  assert.throws(() => run(Mod, [sym(['N']), c([3])]), (e: unknown) => e instanceof VitcError && /N mod 3/.test(e.message));
});

test('comparisons with symbols decide what holds for every batch size', () => {
  assert.deepEqual(run(Equal, [sym(['N', -1, 5]), c([-1, -1, -1])]), [0, 1, 0]);
  assert.deepEqual(run(Equal, [sym(['N']), sym(['N'])]), [1]);
  assert.deepEqual(run(Less, [sym(['2*N']), c([1])]), [0]);
  assert.deepEqual(run(Greater, [sym(['2*N']), c([1])]), [1]);
  assert.deepEqual(run(Greater, [c([0]), sym(['N'])]), [0]);
  assert.throws(() => run(Equal, [sym(['N']), c([4])]), (e: unknown) => e instanceof VitcError && /cannot decide N == 4/.test(e.message));
});

test('layout ops move symbolic elements', () => {
  assert.deepEqual(run(Gather, [sym(['N', 3, 4]), c([-1, 0])], { axis: 0 }), [4, 'N']);
  assert.deepEqual(run(Concat, [sym(['N']), c([-1, 7])], { axis: 0 }), ['N', -1, 7]);
  assert.deepEqual(run(Slice, [sym(['N', 3, 4, 5])], { starts: [1], ends: [100], axes: [0], steps: [2] }), [3, 5]);
  assert.deepEqual(run(Reshape, [sym(['N'], [1])], { shape: [] }), ['N']);
  assert.deepEqual(run(Where, [c([1, 0], [2], 'bool'), c([1, 1]), sym(['N', 3])]), [1, 3]);
  assert.deepEqual(run(Cast, [sym(['N', 2])], { to: 'f32' }), ['N', 2]);
});

/** x: [batch, 3, 4] → reshape to [batch, 12] through Shape/Gather/Unsqueeze/Concat, as torch exports x.flatten(1). */
const flattenDyn: ModelSpec = {
  nodes: [
    { op: 'Shape', inputs: ['x'], outputs: ['s'] },
    { op: 'Gather', inputs: ['s', 'zero'], outputs: ['n'], attrs: { axis: a.int(0) } },
    { op: 'Unsqueeze', inputs: ['n', 'ax0'], outputs: ['n1'] },
    { op: 'Concat', inputs: ['n1', 'minus1'], outputs: ['shape'], attrs: { axis: a.int(0) } },
    { op: 'Reshape', inputs: ['x', 'shape'], outputs: ['y'] },
  ],
  inputs: [v('x', ['batch', 3, 4])],
  outputs: [out('y')],
  initializers: [i64('zero', [0], []), i64('ax0', [0]), i64('minus1', [-1])],
};

test('a dynamic batch flows through shape subgraphs into a reshape attribute', async () => {
  const g = await check(flattenDyn);
  assert.deepEqual(g.inputs[0]!.type.shape, ['N', 3, 4]);
  assert.deepEqual(opCounts(g), { reshape: 1 });
  const r = g.nodes[0]!;
  assert.ok(isOp(r, Reshape));
  assert.deepEqual(r.attrs.shape, ['N', 12]);
  assert.deepEqual(g.outputs[0]!.type.shape, ['N', 12]);
});

test('ViT class-token expansion: Where(Equal(shape, -1)) and Expand to a symbolic shape', async () => {
  const g = await check({
    nodes: [
      { op: 'Shape', inputs: ['x'], outputs: ['s'] },
      { op: 'Gather', inputs: ['s', 'zero'], outputs: ['n'], attrs: { axis: a.int(0) } },
      { op: 'Unsqueeze', inputs: ['n', 'ax0'], outputs: ['n1'] },
      { op: 'Concat', inputs: ['n1', 'm1', 'm1'], outputs: ['shape'], attrs: { axis: a.int(0) } },
      { op: 'ConstantOfShape', inputs: ['three'], outputs: ['ones'], attrs: { value: a.tensor(Tensor.fromNumbers('i64', [1], [1])) } },
      { op: 'Mul', inputs: ['ones', 'neg'], outputs: ['negs'] },
      { op: 'Equal', inputs: ['shape', 'negs'], outputs: ['eq'] },
      { op: 'Where', inputs: ['eq', 'ones', 'shape'], outputs: ['target'] },
      { op: 'Expand', inputs: ['tok', 'target'], outputs: ['toks'] },
      { op: 'Concat', inputs: ['toks', 'x'], outputs: ['y'], attrs: { axis: a.int(1) } },
      { op: 'ConstantOfShape', inputs: ['s'], outputs: ['z'], attrs: { value: a.tensor(Tensor.fromNumbers('f32', [1], [0.5])) } },
      { op: 'Add', inputs: ['x', 'z'], outputs: ['w'] },
    ],
    inputs: [v('x', ['batch', 3, 4])],
    outputs: [out('y'), out('w')],
    initializers: [i64('zero', [0], []), i64('ax0', [0]), i64('m1', [-1]), i64('three', [3]), i64('neg', [-1], []), { name: 'tok', tensor: Tensor.f32([1, 1, 4], [1, 2, 3, 4]) }],
  });
  const expand = g.nodes.find((n) => n.op.name === 'expand')!;
  assert.deepEqual(expand.attrs.shape, ['N', 1, 1]);
  const fill = g.nodes.find((n) => isOp(n, Fill))!;
  assert.deepEqual(fill.attrs.shape, ['N', 3, 4]);
});

test('Slice ending at the batch size and Split/Squeeze keep the symbol', async () => {
  await check({
    nodes: [
      { op: 'Shape', inputs: ['x'], outputs: ['s'] },
      { op: 'Slice', inputs: ['s', 'zero1', 'one1'], outputs: ['n1'] },
      { op: 'Slice', inputs: ['x', 'zero1', 'n1', 'zero1'], outputs: ['y'] },
      { op: 'Unsqueeze', inputs: ['y', 'ax'], outputs: ['u'] },
      { op: 'Squeeze', inputs: ['u', 'ax'], outputs: ['q'] },
    ],
    inputs: [v('x', ['batch', 3])],
    outputs: [out('q')],
    initializers: [i64('zero1', [0]), i64('one1', [1]), i64('ax', [1])],
  });
});

test('shapes that cannot be expressed for every batch size fail clearly', () => {
  const spec: ModelSpec = {
    ...flattenDyn,
    nodes: [
      { op: 'Shape', inputs: ['x'], outputs: ['s'] },
      { op: 'Gather', inputs: ['s', 'zero'], outputs: ['n'], attrs: { axis: a.int(0) } },
      { op: 'Div', inputs: ['n', 'three'], outputs: ['d'] },
      { op: 'Unsqueeze', inputs: ['d', 'ax0'], outputs: ['n1'] },
      { op: 'Concat', inputs: ['n1', 'minus1'], outputs: ['shape'], attrs: { axis: a.int(0) } },
      { op: 'Reshape', inputs: ['x', 'shape'], outputs: ['y'] },
    ],
    initializers: [...flattenDyn.initializers!, i64('three', [3], [])],
  };
  assert.throws(
    () => importOnnx(readOnnxBytes(buildModel(spec), { file: 'div.onnx' })),
    (e: unknown) => e instanceof VitcError && /^div\.onnx: node 'Div_2' \(Div\): symbolic dimension N is not divisible by 3$/.test(e.message),
  );
  const shapeOut: ModelSpec = { nodes: [{ op: 'Shape', inputs: ['x'], outputs: ['s'] }], inputs: [v('x', ['batch', 3])], outputs: [out('s', 'i64')] };
  assert.throws(() => importOnnx(readOnnxBytes(buildModel(shapeOut))), (e: unknown) => e instanceof VitcError && /graph output 's'.*depends on the batch size/.test(e.message));
});
