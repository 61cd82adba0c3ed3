import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ArgMax, ReduceMax, ReduceMean, ReduceSum, Softmax } from '../../../ir/ops/index.js';
import { Tensor } from '../../../ir/tensor.js';
import { tensorType } from '../../../ir/types.js';
import { Rng } from '../../helpers/prng.js';
import { assertClose, assertExact, assertRejects, f32, inferShape, randomTensor, ravel, runOp1, size, unravel } from '../../helpers/op-testing.js';

/**
 * Groups flat positions of `shape` by their index with `axes` removed, in row-major order of the
 * kept axes (which is the result layout of a reduction).
 */
function lines(shape: readonly number[], axes: readonly number[]): { keptShape: number[]; groups: number[][] } {
  const keptShape = shape.filter((_, i) => !axes.includes(i));
  const groups: number[][] = Array.from({ length: size(keptShape) }, () => []);
  for (let i = 0; i < size(shape); i++) {
    const idx = unravel(i, shape);
    groups[ravel(idx.filter((_, ax) => !axes.includes(ax)), keptShape)]!.push(i);
  }
  return { keptShape, groups };
}

test('softmax along any axis matches exp(x)/sum exp(x)', () => {
  const rng = new Rng(21);
  for (let t = 0; t < 30; t++) {
    const rank = rng.int(1, 4);
    const shape = rng.shape(rank, 1, 6);
    const axis = rng.int(-rank, rank - 1);
    const ax = axis < 0 ? axis + rank : axis;
    const x = randomTensor(rng, shape, 'f32', -4, 4);
    const want = new Array<number>(x.size);
    for (const g of lines(shape, [ax]).groups) {
      const total = g.reduce((s, i) => s + Math.exp(x.get(i)), 0);
      for (const i of g) want[i] = Math.exp(x.get(i)) / total;
    }
    assertClose(runOp1(Softmax, [x], { axis }), want, shape, `case ${t}: x[${shape}] axis=${axis}`);
  }
});

test('softmax is stable for large logits and rows sum to 1', () => {
  const x = Tensor.f32([2, 3], [1000, 1001, 1002, -1000, -1000, 3e4]);
  const got = runOp1(Softmax, [x], {}).toNumbers();
  const e = [Math.exp(-2), Math.exp(-1), 1];
  const s = e[0]! + e[1]! + 1;
  assertClose(Tensor.f32([2, 3], got), [e[0]! / s, e[1]! / s, 1 / s, 0, 0, 1], [2, 3], 'large logits');
  // Along axis 0 (strided path) too.
  const col = runOp1(Softmax, [Tensor.f32([3, 1], [1000, 1001, 1002])], { axis: 0 }).toNumbers();
  assertClose(Tensor.f32([3], col), [e[0]! / s, e[1]! / s, 1 / s], [3], 'large logits, axis 0');
});

test('reduce_sum, reduce_mean, reduce_max over random axis sets, with and without keepdims', () => {
  const rng = new Rng(22);
  for (let t = 0; t < 40; t++) {
    const rank = rng.int(1, 4);
    const shape = rng.shape(rank, 1, 5);
    // Empty `axes` means all of them; otherwise a random non-empty subset, some written negative.
    const chosen = rng.next() < 0.2 ? [] : rng.perm(rank).slice(0, rng.int(1, rank));
    const axes = chosen.map((a) => (rng.bool() ? a - rank : a));
    const reduced = chosen.length === 0 ? [...Array(rank).keys()] : chosen;
    const keepdims = rng.bool();
    const x = randomTensor(rng, shape);
    const { keptShape, groups } = lines(shape, reduced);
    const outShape = keepdims ? shape.map((d, i) => (reduced.includes(i) ? 1 : d)) : keptShape;
    const sums = groups.map((g) => g.reduce((s, i) => s + x.get(i), 0));
    const what = `case ${t}: x[${shape}] axes=[${axes}] keepdims=${keepdims}`;
    assertClose(runOp1(ReduceSum, [x], { axes, keepdims }), sums, outShape, `reduce_sum ${what}`);
    assertClose(runOp1(ReduceMean, [x], { axes, keepdims }), sums.map((s, i) => s / groups[i]!.length), outShape, `reduce_mean ${what}`);
    assertExact(runOp1(ReduceMax, [x], { axes, keepdims }), groups.map((g) => Math.max(...g.map((i) => x.get(i)))), outShape, `reduce_max ${what}`);
  }
});

test('reductions keep integer dtypes and propagate NaN through max', () => {
  const x = Tensor.fromNumbers('i32', [2, 3], [1, -5, 8, 2, 2, -11]);
  assertExact(runOp1(ReduceSum, [x], { axes: [1], keepdims: false }), [4, -7], [2], 'i32 sum');
  // 4/3 and -7/3 truncate toward zero.
  assertExact(runOp1(ReduceMean, [x], { axes: [1], keepdims: false }), [1, -2], [2], 'i32 mean truncates');
  const n = Tensor.f32([2, 2], [1, NaN, 3, 4]);
  const m = runOp1(ReduceMax, [n], { axes: [1] }).toNumbers();
  assert.ok(Number.isNaN(m[0]!) && m[1] === 4);
});

test('arg_max returns the first maximum as i64, along negative axes', () => {
  const rng = new Rng(23);
  for (let t = 0; t < 30; t++) {
    const rank = rng.int(1, 4);
    const shape = rng.shape(rank, 1, 5);
    const axis = rng.int(-rank, rank - 1);
    const ax = axis < 0 ? axis + rank : axis;
    const keepdims = rng.bool();
    // Few distinct values, so ties are common.
    const x = randomTensor(rng, shape, 'i32', 0, 3);
    const xf = Tensor.f32(shape, x.toNumbers());
    const { keptShape, groups } = lines(shape, [ax]);
    const want = groups.map((g) => {
      const v = g.map((i) => xf.get(i));
      return v.indexOf(Math.max(...v));
    });
    const got = runOp1(ArgMax, [xf], { axis, keepdims });
    assert.equal(got.dtype, 'i64');
    assertExact(got, want, keepdims ? shape.map((d, i) => (i === ax ? 1 : d)) : keptShape, `case ${t}: x[${shape}] axis=${axis}`);
  }
});

test('softmax and reduction inference: symbolic kept axes pass, reduced axes must be static', () => {
  assert.deepEqual(inferShape(Softmax, [f32(['N', 3, 197, 197])], {}), ['N', 3, 197, 197]);
  assert.deepEqual(inferShape(ReduceMean, [f32(['N', 197, 192])], { axes: [-1] }), ['N', 197, 1]);
  assert.deepEqual(inferShape(ReduceSum, [f32(['N', 197, 192])], { axes: [1, 2], keepdims: false }), ['N']);
  assert.deepEqual(inferShape(ArgMax, [f32(['N', 10])], { axis: 1, keepdims: false }), ['N']);
  assert.equal(Softmax.flops!([f32(['N', 4, 5])], [f32(['N', 4, 5])], { axis: -1 }), 5 * 20);
  assert.equal(ReduceSum.flops!([f32(['N', 4, 5])], [f32(['N', 4])], { axes: [2], keepdims: false }), 20);

  assertRejects(Softmax, [f32(['N', 10])], { axis: 0 }, /static softmax axes.*axis 0.*symbolic/);
  assertRejects(Softmax, [f32([2, 10])], { axis: 2 }, /out of range/);
  assertRejects(Softmax, [tensorType('i32', [2, 10])], {}, /needs a float x/);
  assertRejects(ReduceMean, [f32(['N', 10])], { axes: [] }, /static reduced axes.*axis 0/);
  assertRejects(ReduceMean, [f32([3, 10])], { axes: [1, -1] }, /repeat an axis/);
  assertRejects(ReduceMax, [tensorType('bool', [3])], {}, /does not accept a bool x/);
  assertRejects(ArgMax, [f32([3, 0])], { axis: 1 }, /axis 1 is empty/);
});
