import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Tensor } from '../../../ir/tensor.js';
import { a, f32, i64, singleNode } from '../../helpers/onnx-build.js';
import { opCounts, ortChecker, out, v } from './single-op.js';

const check = ortChecker();

for (const op of ['Neg', 'Abs', 'Exp', 'Erf', 'Tanh', 'Sigmoid', 'Relu', 'Floor', 'Ceil', 'HardSwish', 'Reciprocal']) {
  test(`${op} matches onnxruntime`, async () => {
    const g = await check(singleNode(op, [v('x', [2, 3, 4])], [out('y')]));
    assert.equal(g.nodes.length, 1);
  });
}

test('Log and Sqrt on positive inputs', async () => {
  const x = Tensor.f32([2, 5], [0.1, 0.5, 1, 2, 3, 4, 5, 6, 7, 100]);
  for (const op of ['Log', 'Sqrt']) await check(singleNode(op, [v('x', [2, 5])], [out('y')]), { inputs: new Map([['x', x]]) });
});

test('Not on booleans', async () => {
  await check(singleNode('Not', [v('x', [3, 4], 'bool')], [out('y', 'bool')]));
});

for (const op of ['Add', 'Sub', 'Mul', 'Div']) {
  test(`${op} broadcasts like onnxruntime`, async () => {
    await check(singleNode(op, [v('a', [2, 1, 4]), v('b', [3, 1])], [out('y')]));
    // With a constant operand.
    await check(singleNode(op, [v('a', [2, 3])], [out('y')], { initializers: [f32('b', [3], [0.5, -2, 3])] }));
  });
}

test('Pow with a constant exponent, also of another element type', async () => {
  const x = Tensor.f32([4], [0.5, 1, 2, 3]);
  await check(singleNode('Pow', [v('x', [4])], [out('y')], { initializers: [f32('e', [], [2])] }), { inputs: new Map([['x', x]]) });
  await check(singleNode('Pow', [v('x', [4])], [out('y')], { initializers: [i64('e', [3], [])] }), { inputs: new Map([['x', x]]) });
});

test('variadic Max, Min, Sum, Mean', async () => {
  for (const op of ['Max', 'Min', 'Sum', 'Mean']) {
    await check(singleNode(op, [v('a', [2, 3]), v('b', [3]), v('c', [2, 1])], [out('y')]));
    await check(singleNode(op, [v('a', [2, 3])], [out('y')]));
  }
});

test('comparisons and logic produce booleans', async () => {
  for (const op of ['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual']) {
    const x = Tensor.f32([6], [1, 2, 3, 4, 5, 6]);
    const y = Tensor.f32([6], [3, 2, 1, 4, 6, 5]);
    await check(singleNode(op, [v('a', [6]), v('b', [6])], [out('y', 'bool')]), { inputs: new Map([['a', x], ['b', y]]) });
  }
  for (const op of ['And', 'Or']) await check(singleNode(op, [v('a', [2, 3], 'bool'), v('b', [3], 'bool')], [out('y', 'bool')]));
});

test('Mod on integers follows the divisor sign (fmod=0)', async () => {
  const x = Tensor.fromNumbers('i64', [6], [-7, -3, 0, 3, 7, 8]);
  await check(singleNode('Mod', [v('a', [6], 'i64')], [out('y', 'i64')], { initializers: [i64('b', [3, -3, 5, -5, 4, 3])] }), { inputs: new Map([['a', x]]) });
});

test('Where selects with broadcasting', async () => {
  await check(singleNode('Where', [v('c', [2, 1], 'bool'), v('x', [2, 3]), v('y', [3])], [out('z')]));
});

test('Clip with both bounds, with only a minimum, and with none', async () => {
  await check(singleNode('Clip', [v('x', [3, 4])], [out('y')], { initializers: [f32('lo', [], [-0.5]), f32('hi', [], [0.7])] }));
  await check(singleNode('Clip', [v('x', [3, 4])], [out('y')], { initializers: [f32('lo', [], [-0.5])] }));
  await check(singleNode('Clip', [v('x', [3, 4])], [out('y')]));
});

test('Cast between float, int64 and bool, and CastLike', async () => {
  const x = Tensor.f32([5], [-2.7, -0.5, 0, 0.5, 3.9]);
  const inputs = new Map([['x', x]]);
  await check(singleNode('Cast', [v('x', [5])], [out('y', 'i64')], { attrs: { to: a.int(7) } }), { inputs });
  await check(singleNode('Cast', [v('x', [5])], [out('y', 'bool')], { attrs: { to: a.int(9) } }), { inputs });
  await check(singleNode('Cast', [v('x', [5], 'i64')], [out('y')], { attrs: { to: a.int(1) } }));
  await check(singleNode('CastLike', [v('x', [5])], [out('y', 'i32')], { initializers: [{ name: 't', tensor: Tensor.fromNumbers('i32', [1], [0]) }] }), { inputs });
});

test('Identity and inference-mode Dropout become identity/dropout ops', async () => {
  const g1 = await check(singleNode('Identity', [v('x', [2, 3])], [out('y')]));
  assert.deepEqual(opCounts(g1), { identity: 1 });
  const g2 = await check(singleNode('Dropout', [v('x', [2, 3])], [out('y')], { initializers: [f32('r', [], [0.3]), { name: 't', tensor: Tensor.fromNumbers('bool', [], [0]) }] }));
  assert.deepEqual(opCounts(g2), { dropout: 1 });
  // Training mode with ratio 0 (as torchvision's Swin exports it) is still the identity.
  await check(singleNode('Dropout', [v('x', [2, 3])], [out('y')], { initializers: [f32('r', [], [0]), { name: 't', tensor: Tensor.fromNumbers('bool', [], [1]) }] }));
});

test('HardSigmoid with PyTorch parameters maps to hard_sigmoid, others lower to clip', async () => {
  const g1 = await check(singleNode('HardSigmoid', [v('x', [4, 5])], [out('y')], { attrs: { alpha: a.float(1 / 6), beta: a.float(0.5) } }));
  assert.deepEqual(opCounts(g1), { hard_sigmoid: 1 });
  const g2 = await check(singleNode('HardSigmoid', [v('x', [4, 5])], [out('y')]));
  assert.equal(opCounts(g2).clip, 1);
});

test('LeakyRelu with small and large slopes', async () => {
  await check(singleNode('LeakyRelu', [v('x', [4, 5])], [out('y')]));
  await check(singleNode('LeakyRelu', [v('x', [4, 5])], [out('y')], { attrs: { alpha: a.float(2.5) } }));
});
