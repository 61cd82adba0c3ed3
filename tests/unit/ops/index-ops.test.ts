import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VitcError } from '../../../ir/errors.js';
import { Gather, ScatterNd } from '../../../ir/ops/index.js';
import { Tensor } from '../../../ir/tensor.js';
import { tensorType } from '../../../ir/types.js';
import { Rng } from '../../helpers/prng.js';
import { assertExact, assertRejects, f32, inferShape, randomTensor, ravel, runOp1, size, unravel } from '../../helpers/op-testing.js';

test('gather picks entries along any axis with i32/i64 indices of any rank, negative from the end', () => {
  const rng = new Rng(41);
  for (let t = 0; t < 40; t++) {
    const x = randomTensor(rng, rng.shape(rng.int(1, 3), 1, 5));
    const axis = rng.int(-x.rank, x.rank - 1);
    const ax = axis < 0 ? axis + x.rank : axis;
    const d = x.shape[ax]!;
    const idxShape = rng.shape(rng.int(0, 2), 1, 3);
    const indices = randomTensor(rng, idxShape, rng.pick(['i32', 'i64'] as const), -d, d - 1);
    const outShape = [...x.shape.slice(0, ax), ...idxShape, ...x.shape.slice(ax + 1)];
    const want = Array.from({ length: size(outShape) }, (_, o) => {
      const idx = unravel(o, outShape);
      const k = indices.get(ravel(idx.slice(ax, ax + idxShape.length), idxShape));
      return x.get(ravel([...idx.slice(0, ax), k < 0 ? k + d : k, ...idx.slice(ax + idxShape.length)], x.shape));
    });
    assertExact(runOp1(Gather, [x, indices], { axis }), want, outShape, `case ${t}: x[${x.shape}] indices[${idxShape}] axis=${axis}`);
  }
});

test('gather reports an out-of-range index', () => {
  const x = Tensor.f32([2, 3], [1, 2, 3, 4, 5, 6]);
  const rejects = (indices: Tensor, axis: number, message: RegExp) =>
    assert.throws(() => runOp1(Gather, [x, indices], { axis }), (e: unknown) => e instanceof VitcError && message.test(e.message));
  rejects(Tensor.fromNumbers('i64', [1], [3]), 1, /index 3 is out of range for axis 1 of size 3/);
  rejects(Tensor.fromNumbers('i32', [1], [-3]), 0, /index -3 is out of range for axis 0 of size 2/);
});

test('scatter_nd writes slices at index tuples, later tuples winning', () => {
  const rng = new Rng(42);
  for (let t = 0; t < 30; t++) {
    const data = randomTensor(rng, rng.shape(rng.int(1, 4), 1, 4));
    const k = rng.int(1, data.rank);
    const batch = rng.shape(rng.int(1, 2), 1, 3);
    const tuples = size(batch);
    const idxValues: number[] = [];
    for (let i = 0; i < tuples; i++) for (let j = 0; j < k; j++) idxValues.push(rng.int(-data.shape[j]!, data.shape[j]! - 1));
    const indices = Tensor.fromNumbers('i64', [...batch, k], idxValues);
    const sliceShape = data.shape.slice(k);
    const updates = randomTensor(rng, [...batch, ...sliceShape]);
    const want = data.toNumbers();
    for (let i = 0; i < tuples; i++) {
      const tuple = idxValues.slice(i * k, i * k + k).map((v, j) => (v < 0 ? v + data.shape[j]! : v));
      for (let s = 0; s < size(sliceShape); s++) want[ravel([...tuple, ...unravel(s, sliceShape)], data.shape)] = updates.get(i * size(sliceShape) + s);
    }
    assertExact(runOp1(ScatterNd, [data, indices, updates], {}), want, data.shape, `case ${t}: data[${data.shape}] indices[${indices.shape}]`);
  }
});

test('gather and scatter_nd inference', () => {
  const i64 = (shape: (number | string)[]) => tensorType('i64', shape);
  assert.deepEqual(inferShape(Gather, [f32(['N', 197, 192]), i64([])], { axis: 1 }), ['N', 192]);
  assert.deepEqual(inferShape(Gather, [f32([1000, 192]), i64(['N', 7])], {}), ['N', 7, 192]);
  assert.deepEqual(inferShape(Gather, [f32(['N', 5]), tensorType('i32', [2, 2])], { axis: 0 }), [2, 2, 5]);
  assert.deepEqual(inferShape(ScatterNd, [f32(['N', 4, 5]), i64(['N', 1, 3]), f32(['N', 1])], {}), ['N', 4, 5]);
  assertRejects(Gather, [f32([3, 4]), f32([2])], {}, /needs i32 or i64 indices, got f32/);
  assertRejects(Gather, [f32([3, 4]), i64([2])], { axis: 2 }, /axis 2 is out of range/);
  assertRejects(ScatterNd, [f32([3, 4]), i64([2, 3]), f32([2])], {}, /must end in a static tuple length between 1 and 2/);
  assertRejects(ScatterNd, [f32([3, 4]), i64([2, 1]), f32([2, 5])], {}, /updates \[2,5\] must have shape \[2,4\]/);
  assertRejects(ScatterNd, [f32([3, 4]), i64([2, 1]), tensorType('f16', [2, 4])], {}, /updates has element type f16/);
});
