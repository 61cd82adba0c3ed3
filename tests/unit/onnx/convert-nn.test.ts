import assert from 'node:assert/strict';
import { test } from 'node:test';
import { a, f32, i64, type InitializerSpec, singleNode } from '../../helpers/onnx-build.js';
import { rng } from '../../helpers/random.js';
import { opCounts, ortChecker, out, v } from './single-op.js';

const check = ortChecker();

function randomInit(name: string, shape: readonly number[], seed: number, offset = 0): InitializerSpec {
  const rnd = rng(seed);
  const n = shape.reduce((p, q) => p * q, 1);
  return f32(name, shape, Array.from({ length: n }, () => rnd() - 0.5 + offset));
}

test('Conv with pads, strides, dilations, groups and bias', async () => {
  const w = randomInit('w', [6, 2, 3, 3], 1);
  const b = randomInit('b', [6], 2);
  await check(singleNode('Conv', [v('x', [1, 4, 9, 8])], [out('y')], { initializers: [w, b], attrs: { pads: a.ints([1, 0, 2, 1]), strides: a.ints([2, 1]), dilations: a.ints([1, 2]), group: a.int(2) } }));
  await check(singleNode('Conv', [v('x', [2, 4, 9, 8])], [out('y')], { initializers: [randomInit('w', [3, 4, 1, 1], 3)] }));
});

test('Conv auto_pad SAME_UPPER, SAME_LOWER, VALID and 1-D', async () => {
  const w = randomInit('w', [2, 3, 4, 3], 4);
  for (const mode of ['SAME_UPPER', 'SAME_LOWER', 'VALID'])
    await check(singleNode('Conv', [v('x', [1, 3, 7, 6])], [out('y')], { initializers: [w], attrs: { auto_pad: a.string(mode), strides: a.ints([2, 2]) } }));
  await check(singleNode('Conv', [v('x', [1, 3, 10])], [out('y')], { initializers: [randomInit('w', [4, 3, 3], 5)], attrs: { pads: a.ints([1, 1]), kernel_shape: a.ints([3]) } }));
});

test('ConvTranspose with strides, pads, output_padding and groups', async () => {
  await check(singleNode('ConvTranspose', [v('x', [1, 4, 5, 5])], [out('y')], { initializers: [randomInit('w', [4, 3, 3, 3], 6), randomInit('b', [6], 7)], attrs: { strides: a.ints([2, 2]), pads: a.ints([1, 1, 1, 1]), output_padding: a.ints([1, 0]), group: a.int(2) } }));
});

test('AveragePool with pads, count_include_pad and ceil_mode; MaxPool with dilations', async () => {
  const base = { kernel_shape: a.ints([3, 3]), strides: a.ints([2, 2]), pads: a.ints([1, 1, 1, 1]) };
  await check(singleNode('AveragePool', [v('x', [1, 2, 7, 8])], [out('y')], { attrs: base }));
  await check(singleNode('AveragePool', [v('x', [1, 2, 7, 8])], [out('y')], { attrs: { ...base, count_include_pad: a.int(1) } }));
  await check(singleNode('AveragePool', [v('x', [1, 2, 8, 8])], [out('y')], { attrs: { kernel_shape: a.ints([3, 3]), strides: a.ints([2, 2]), ceil_mode: a.int(1) } }));
  await check(singleNode('MaxPool', [v('x', [1, 2, 9, 9])], [out('y')], { attrs: { ...base, dilations: a.ints([2, 1]) } }));
  await check(singleNode('MaxPool', [v('x', [1, 2, 8, 8])], [out('y')], { attrs: { kernel_shape: a.ints([2, 2]), strides: a.ints([3, 3]), ceil_mode: a.int(1) } }));
});

test('GlobalAveragePool and GlobalMaxPool', async () => {
  await check(singleNode('GlobalAveragePool', [v('x', [2, 3, 4, 5])], [out('y')]));
  await check(singleNode('GlobalMaxPool', [v('x', [2, 3, 4, 5])], [out('y')]));
});

test('BatchNormalization, InstanceNormalization, LayerNormalization, GroupNormalization', async () => {
  await check(singleNode('BatchNormalization', [v('x', [2, 3, 4, 4])], [out('y')], { initializers: [randomInit('s', [3], 1), randomInit('b', [3], 2), randomInit('m', [3], 3), randomInit('var', [3], 4, 1)], attrs: { epsilon: a.float(1e-3), momentum: a.float(0.9) } }));
  await check(singleNode('InstanceNormalization', [v('x', [2, 3, 4, 4])], [out('y')], { initializers: [randomInit('s', [3], 1), randomInit('b', [3], 2)] }));
  await check(singleNode('LayerNormalization', [v('x', [2, 5, 8])], [out('y')], { initializers: [randomInit('s', [8], 1), randomInit('b', [8], 2)], attrs: { epsilon: a.float(1e-6) } }));
  await check(singleNode('LayerNormalization', [v('x', [2, 5, 8])], [out('y')], { initializers: [randomInit('s', [5, 8], 1)], attrs: { axis: a.int(1) } }));
  await check(singleNode('GroupNormalization', [v('x', [2, 6, 3, 3])], [out('y')], { initializers: [randomInit('s', [3], 1, 1), randomInit('b', [3], 2)], attrs: { num_groups: a.int(3) }, opset: 18 }));
});

test('Softmax on the last and a middle axis', async () => {
  await check(singleNode('Softmax', [v('x', [2, 3, 4])], [out('y')]));
  await check(singleNode('Softmax', [v('x', [2, 3, 4])], [out('y')], { attrs: { axis: a.int(1) } }));
});

test('LogSoftmax lowers to the stable max/exp/sum/log form', async () => {
  await check(singleNode('LogSoftmax', [v('x', [2, 3, 4])], [out('y')]));
  await check(singleNode('LogSoftmax', [v('x', [2, 3, 4])], [out('y')], { attrs: { axis: a.int(0) } }));
});

test('ReduceMean: axes as attribute (opset 13, 17) and as input (opset 18), keepdims, noop', async () => {
  for (const opset of [13, 17]) {
    await check(singleNode('ReduceMean', [v('x', [2, 3, 4])], [out('y')], { attrs: { axes: a.ints([-1, 0]) }, opset }));
    await check(singleNode('ReduceMean', [v('x', [2, 3, 4])], [out('y')], { attrs: { axes: a.ints([1]), keepdims: a.int(0) }, opset }));
    await check(singleNode('ReduceMean', [v('x', [2, 3, 4])], [out('y')], { opset }));
  }
  await check(singleNode('ReduceMean', [v('x', [2, 3, 4])], [out('y')], { initializers: [i64('ax', [-1, 0])], opset: 18 }));
  await check(singleNode('ReduceMean', [v('x', [2, 3, 4])], [out('y')], { opset: 18 }));
  const g = await check(singleNode('ReduceMean', [v('x', [2, 3, 4])], [out('y')], { attrs: { noop_with_empty_axes: a.int(1) }, opset: 18 }));
  assert.deepEqual(opCounts(g), { identity: 1 });
});

test('ReduceMean axes attribute at opset 18 is rejected as unsupported', async () => {
  await assert.rejects(
    check(singleNode('ReduceMean', [v('x', [2, 3])], [out('y')], { attrs: { axes: a.ints([1]) }, opset: 18 })),
    /attribute 'axes' of ReduceMean is not supported/,
  );
});

test('ReduceSum (axes input from opset 13), ReduceMax, ReduceMin, ReduceL1, ReduceL2, ReduceSumSquare', async () => {
  await check(singleNode('ReduceSum', [v('x', [2, 3, 4])], [out('y')], { initializers: [i64('ax', [1])], opset: 13 }));
  await check(singleNode('ReduceSum', [v('x', [2, 3, 4])], [out('y')], { attrs: { keepdims: a.int(0) }, opset: 13 }));
  for (const op of ['ReduceMax', 'ReduceMin', 'ReduceL1', 'ReduceL2', 'ReduceSumSquare']) {
    await check(singleNode(op, [v('x', [2, 3, 4])], [out('y')], { attrs: { axes: a.ints([2]) }, opset: 17 }));
    await check(singleNode(op, [v('x', [2, 3, 4])], [out('y')], { initializers: [i64('ax', [0, 2])], attrs: { keepdims: a.int(0) }, opset: 18 }));
  }
});

test('ArgMax and ArgMin', async () => {
  await check(singleNode('ArgMax', [v('x', [3, 4])], [out('y', 'i64')], { attrs: { axis: a.int(1) } }));
  await check(singleNode('ArgMin', [v('x', [3, 4])], [out('y', 'i64')], { attrs: { axis: a.int(0), keepdims: a.int(0) } }));
});
