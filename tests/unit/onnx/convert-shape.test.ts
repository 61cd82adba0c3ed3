import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Tensor } from '../../../ir/tensor.js';
import { a, f32, i64, singleNode } from '../../helpers/onnx-build.js';
import { opCounts, ortChecker, out, v } from './single-op.js';

const check = ortChecker();
const INT64_MAX = Number.MAX_SAFE_INTEGER * 1024; // encodes as 2^63-ish; importer clamps

test('Reshape with 0 (copy) and -1 (inferred) becomes one fully specified reshape', async () => {
  const g = await check(singleNode('Reshape', [v('x', [2, 3, 4])], [out('y')], { initializers: [i64('s', [0, -1, 2])] }));
  assert.equal(g.nodes.filter((n) => n.op.name === 'reshape').length, 1);
  assert.deepEqual(g.outputs[0]!.type.shape, [2, 6, 2]);
});

test('Reshape with allowzero keeps a literal 0 dim', async () => {
  await check(singleNode('Reshape', [v('x', [0, 3])], [out('y')], { initializers: [i64('s', [3, 0])], attrs: { allowzero: a.int(1) } }));
});

test('Flatten on several axes', async () => {
  for (const axis of [0, 1, 2, -1]) await check(singleNode('Flatten', [v('x', [2, 3, 4])], [out('y')], { attrs: { axis: a.int(axis) } }));
});

test('Squeeze with axes and without, Unsqueeze with negative axes', async () => {
  await check(singleNode('Squeeze', [v('x', [1, 3, 1, 2])], [out('y')], { initializers: [i64('ax', [-2])] }));
  await check(singleNode('Squeeze', [v('x', [1, 3, 1, 2])], [out('y')]));
  await check(singleNode('Unsqueeze', [v('x', [3, 2])], [out('y')], { initializers: [i64('ax', [0, -1])] }));
});

test('Transpose with a permutation and with the default reversal', async () => {
  await check(singleNode('Transpose', [v('x', [2, 3, 4])], [out('y')], { attrs: { perm: a.ints([1, 2, 0]) } }));
  await check(singleNode('Transpose', [v('x', [2, 3, 4])], [out('y')]));
});

test('Concat along a negative axis', async () => {
  await check(singleNode('Concat', [v('a', [2, 3]), v('b', [2, 1]), v('c', [2, 2])], [out('y')], { attrs: { axis: a.int(-1) } }));
});

test('Split with sizes, without (equal parts), and opset 18 num_outputs (uneven)', async () => {
  await check({ ...singleNode('Split', [v('x', [2, 7])], [out('p'), out('q')], { initializers: [i64('s', [3, 4])], attrs: { axis: a.int(1) } }) });
  await check(singleNode('Split', [v('x', [6, 2])], [out('p'), out('q'), out('r')]));
  await check(singleNode('Split', [v('x', [2, 7])], [out('p'), out('q'), out('r')], { attrs: { axis: a.int(-1), num_outputs: a.int(3) }, opset: 18 }));
});

test('Slice with negative starts and steps, omitted axes, and INT64_MAX ends', async () => {
  await check(singleNode('Slice', [v('x', [5, 6])], [out('y')], { initializers: [i64('s', [-1, 1]), i64('e', [-INT64_MAX, 5]), i64('ax', [0, 1]), i64('st', [-2, 2])] }));
  await check(singleNode('Slice', [v('x', [5, 6])], [out('y')], { initializers: [i64('s', [1]), i64('e', [INT64_MAX])] }));
  await check(singleNode('Slice', [v('x', [5, 6])], [out('y')], { initializers: [i64('s', [4]), i64('e', [0]), i64('ax', [1]), i64('st', [-1])] }));
});

test('Gather with negative indices, another axis and a scalar index', async () => {
  await check(singleNode('Gather', [v('x', [4, 3])], [out('y')], { initializers: [i64('i', [-1, 0, 2, -4], [2, 2])] }));
  await check(singleNode('Gather', [v('x', [4, 3])], [out('y')], { initializers: [i64('i', [-1, 1])], attrs: { axis: a.int(1) } }));
  await check(singleNode('Gather', [v('x', [4, 3])], [out('y')], { initializers: [i64('i', [2], [])] }));
});

test('Gather with run-time indices', async () => {
  const idx = Tensor.fromNumbers('i64', [3], [2, -1, 0]);
  const x = Tensor.f32([3, 2], [1, 2, 3, 4, 5, 6]);
  await check(singleNode('Gather', [v('x', [3, 2]), v('i', [3], 'i64')], [out('y')]), { inputs: new Map([['x', x], ['i', idx]]) });
});

test('Expand is bidirectional broadcasting; Tile repeats', async () => {
  await check(singleNode('Expand', [v('x', [3, 1])], [out('y')], { initializers: [i64('s', [2, 1, 4])] }));
  await check(singleNode('Tile', [v('x', [2, 3])], [out('y')], { initializers: [i64('r', [2, 3])] }));
});

test('Pad modes constant (with a value), reflect and edge; opset 18 axes', async () => {
  const pads = i64('p', [0, 1, 2, 0, 2, 1]);
  await check(singleNode('Pad', [v('x', [2, 3, 4])], [out('y')], { initializers: [pads, f32('c', [], [1.5])] }));
  await check(singleNode('Pad', [v('x', [2, 3, 4])], [out('y')], { initializers: [pads], attrs: { mode: a.string('reflect') } }));
  await check(singleNode('Pad', [v('x', [2, 3, 4])], [out('y')], { initializers: [pads], attrs: { mode: a.string('edge') } }));
  await check(
    singleNode('Pad', [v('x', [2, 3, 4])], [out('y')], {
      opset: 18,
      nodeInputs: ['x', 'p', '', 'ax'],
      initializers: [i64('p', [1, 2, 3, 0]), i64('ax', [-1, 0])],
    }),
  );
});

test('shape subgraphs fold: Shape, ConstantOfShape, Range, Constant variants', async () => {
  const g = await check({
    nodes: [
      { op: 'Shape', inputs: ['x'], outputs: ['s'] },
      { op: 'ConstantOfShape', inputs: ['s'], outputs: ['z'], attrs: { value: a.tensor(Tensor.fromNumbers('f32', [1], [0.25])) } },
      { op: 'Add', inputs: ['x', 'z'], outputs: ['y0'] },
      { op: 'Constant', inputs: [], outputs: ['lim'], attrs: { value_int: a.int(5) } },
      { op: 'Constant', inputs: [], outputs: ['st'], attrs: { value_int: a.int(1) } },
      { op: 'Constant', inputs: [], outputs: ['dl'], attrs: { value_int: a.int(2) } },
      { op: 'Range', inputs: ['st', 'lim', 'dl'], outputs: ['r'] },
      { op: 'Cast', inputs: ['r'], outputs: ['rf'], attrs: { to: a.int(1) } },
      { op: 'Constant', inputs: [], outputs: ['fs'], attrs: { value_floats: a.floats([1, 2]) } },
      { op: 'Constant', inputs: [], outputs: ['f1'], attrs: { value_float: a.float(3) } },
      { op: 'Mul', inputs: ['fs', 'f1'], outputs: ['m'] },
      { op: 'Shape', inputs: ['x'], outputs: ['s2'], attrs: { start: a.int(-1) } },
      { op: 'Size', inputs: ['x'], outputs: ['n'] },
    ],
    inputs: [v('x', [2, 3])],
    outputs: [out('y0'), out('rf'), out('m'), out('s2', 'i64'), out('n', 'i64')],
  });
  assert.deepEqual(opCounts(g), { add: 1, const: 5 });
});

test('ConstantOfShape with an int64 value and with the default', async () => {
  await check({
    nodes: [
      { op: 'ConstantOfShape', inputs: ['s'], outputs: ['y'], attrs: { value: a.tensor(Tensor.fromNumbers('i64', [1], [7])) } },
      { op: 'ConstantOfShape', inputs: ['s'], outputs: ['z'] },
      { op: 'Shape', inputs: ['x'], outputs: ['sx'] },
    ],
    inputs: [v('x', [2])],
    outputs: [out('y', 'i64'), out('z'), out('sx', 'i64')],
    initializers: [i64('s', [2, 3])],
  });
});

test('ScatterND with run-time data and updates', async () => {
  await check(singleNode('ScatterND', [v('d', [4, 3]), v('u', [2, 3])], [out('y')], { initializers: [i64('i', [3, 1], [2, 1])], nodeInputs: ['d', 'i', 'u'] }));
});
