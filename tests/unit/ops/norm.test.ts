import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BatchNorm, GroupNorm, InstanceNorm, LayerNorm } from '../../../ir/ops/index.js';
import { Tensor } from '../../../ir/tensor.js';
import { Rng } from '../../helpers/prng.js';
import { assertClose, assertRejects, f32, inferShape, randomTensor, runOp1, size, unravel } from '../../helpers/op-testing.js';

/** Normalises each listed group of flat positions of xs by its own mean and (population) variance. */
function normalizeGroups(xs: readonly number[], groups: readonly number[][], eps: number): number[] {
  const out = new Array<number>(xs.length);
  for (const g of groups) {
    const mean = g.reduce((s, i) => s + xs[i]!, 0) / g.length;
    const variance = g.reduce((s, i) => s + (xs[i]! - mean) ** 2, 0) / g.length;
    for (const i of g) out[i] = (xs[i]! - mean) / Math.sqrt(variance + eps);
  }
  return out;
}

/** Flat positions grouped by a key computed from each multi-index. */
function groupBy(shape: readonly number[], key: (idx: number[]) => string): number[][] {
  const m = new Map<string, number[]>();
  for (let i = 0; i < size(shape); i++) {
    const k = key(unravel(i, shape));
    const g = m.get(k);
    if (g) g.push(i);
    else m.set(k, [i]);
  }
  return [...m.values()];
}

test('layer_norm matches per-row statistics (negative axes, multi-axis rows, broadcast scale, optional bias)', () => {
  const rng = new Rng(11);
  for (let t = 0; t < 40; t++) {
    const rank = rng.int(1, 4);
    const shape = rng.shape(rank, 1, 6);
    const axis = rng.int(-rank, rank - 1);
    const ax = axis < 0 ? axis + rank : axis;
    const normShape = shape.slice(ax);
    // Scale/bias: the normalised shape, or a trailing part of it, possibly with 1s that broadcast.
    const affineShape = () => normShape.slice(rng.int(0, normShape.length - 1)).map((d) => (rng.next() < 0.3 ? 1 : d));
    const x = randomTensor(rng, shape, 'f32', -3, 5);
    const scaleShape = affineShape();
    const scale = randomTensor(rng, scaleShape);
    const bias = rng.bool() ? randomTensor(rng, affineShape()) : undefined;
    const eps = rng.pick([1e-5, 1e-6, 1e-2]);
    const norm = normalizeGroups(x.toNumbers(), groupBy(shape, (idx) => idx.slice(0, ax).join()), eps);
    const pick = (p: Tensor, idx: number[]) => {
      const tail = idx.slice(idx.length - p.rank);
      return p.get(tail.reduce((o, v, i) => o * p.shape[i]! + (p.shape[i] === 1 ? 0 : v), 0));
    };
    const want = norm.map((v, i) => {
      const idx = unravel(i, shape);
      return v * pick(scale, idx) + (bias ? pick(bias, idx) : 0);
    });
    const got = runOp1(LayerNorm, bias ? [x, scale, bias] : [x, scale], { axis, epsilon: eps });
    assertClose(got, want, shape, `case ${t}: x[${shape}] axis=${axis} scale[${scale.shape}] bias[${bias?.shape ?? '-'}]`, 1e-5, 1e-5);
  }
});

test('layer_norm statistics survive a large mean (float64, two-pass)', () => {
  const rng = new Rng(12);
  const d = 192;
  const x = Tensor.f32([2, d], Array.from({ length: 2 * d }, () => 3000 + rng.float(-1, 1)));
  const ones = Tensor.f32([d], new Array(d).fill(1));
  const got = runOp1(LayerNorm, [x, ones], {});
  const want = normalizeGroups(x.toNumbers(), [[...Array(d).keys()], [...Array(d).keys()].map((i) => i + d)], 1e-5);
  assertClose(got, want, [2, d], 'large mean', 1e-4, 1e-4);
});

test('batch_norm, instance_norm and group_norm match their definitions', () => {
  const rng = new Rng(13);
  for (let t = 0; t < 30; t++) {
    const groups = rng.int(1, 3);
    const c = groups * rng.int(1, 3);
    const shape = [rng.int(1, 3), c, ...rng.shape(rng.int(1, 2), 1, 5)];
    const x = randomTensor(rng, shape, 'f32', -2, 4);
    const scale = randomTensor(rng, [c]);
    const bias = randomTensor(rng, [c]);
    const chan = (i: number) => unravel(i, shape)[1]!;
    const eps = rng.pick([1e-5, 1e-3]);

    const mean = randomTensor(rng, [c]);
    const variance = randomTensor(rng, [c], 'f32', 0.1, 3);
    const bn = x.toNumbers().map((v, i) => ((v - mean.get(chan(i))) / Math.sqrt(variance.get(chan(i)) + eps)) * scale.get(chan(i)) + bias.get(chan(i)));
    assertClose(runOp1(BatchNorm, [x, scale, bias, mean, variance], { epsilon: eps }), bn, shape, `batch_norm case ${t} x[${shape}]`);

    const inNorm = normalizeGroups(x.toNumbers(), groupBy(shape, (idx) => `${idx[0]},${idx[1]}`), eps);
    const inWant = inNorm.map((v, i) => v * scale.get(chan(i)) + bias.get(chan(i)));
    assertClose(runOp1(InstanceNorm, [x, scale, bias], { epsilon: eps }), inWant, shape, `instance_norm case ${t} x[${shape}]`, 1e-5, 1e-5);

    const cg = c / groups;
    const gnNorm = normalizeGroups(x.toNumbers(), groupBy(shape, (idx) => `${idx[0]},${Math.floor(idx[1]! / cg)}`), eps);
    const gnWant = gnNorm.map((v, i) => v * scale.get(chan(i)) + bias.get(chan(i)));
    assertClose(runOp1(GroupNorm, [x, scale, bias], { groups, epsilon: eps }), gnWant, shape, `group_norm case ${t} x[${shape}] groups=${groups}`, 1e-5, 1e-5);
  }
});

test('norm inference: batch axes may be symbolic, normalised and channel axes must be static', () => {
  assert.deepEqual(inferShape(LayerNorm, [f32(['N', 197, 192]), f32([192]), f32([192])], {}), ['N', 197, 192]);
  assert.deepEqual(inferShape(LayerNorm, [f32(['N', 7, 4, 5]), f32([1, 5])], { axis: -2 }), ['N', 7, 4, 5]);
  assert.deepEqual(inferShape(BatchNorm, [f32(['N', 3, 8, 8]), f32([3]), f32([3]), f32([3]), f32([3])], {}), ['N', 3, 8, 8]);
  assert.deepEqual(inferShape(GroupNorm, [f32(['N', 6, 8, 8]), f32([6]), f32([6])], { groups: 3 }), ['N', 6, 8, 8]);
  assert.equal(LayerNorm.flops!([f32(['N', 197, 192])], [f32(['N', 197, 192])], { axis: -1, epsilon: 1e-5 }), 8 * 197 * 192);

  assertRejects(LayerNorm, [f32([2, 'N']), f32(['N'])], {}, /static normalised axes.*axis 1/);
  assertRejects(LayerNorm, [f32([2, 8]), f32([7])], {}, /scale \[7\] does not broadcast to the normalised shape \[8\]/);
  assertRejects(LayerNorm, [f32([2, 8]), f32([2, 8])], {}, /scale \[2,8\] does not broadcast/);
  assertRejects(LayerNorm, [f32([2, 8]), f32([8])], { axis: 2 }, /axis 2 is out of range for rank 2/);
  assertRejects(BatchNorm, [f32([2, 3, 4]), f32([3]), f32([3]), f32([4]), f32([3])], {}, /mean must have shape \[3\], got \[4\]/);
  assertRejects(BatchNorm, [f32(['N', 'N']), f32([3]), f32([3]), f32([3]), f32([3])], {}, /static channel axes/);
  assertRejects(InstanceNorm, [f32([2, 3]), f32([3]), f32([3])], {}, /rank ≥ 3/);
  assertRejects(InstanceNorm, [f32([2, 3, 'N']), f32([3]), f32([3])], {}, /static spatial axes/);
  assertRejects(GroupNorm, [f32([2, 6, 4]), f32([6]), f32([6])], { groups: 4 }, /groups 4 must be positive and divide the 6 channels/);
});
