import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DType } from '../../../ir/dtype.js';
import { Concat, Expand, Pad, Reshape, Slice, Split, Tile, Transpose } from '../../../ir/ops/index.js';
import { Tensor } from '../../../ir/tensor.js';
import { tensorType } from '../../../ir/types.js';
import { Rng } from '../../helpers/prng.js';
import { assertExact, assertRejects, f32, inferShape, inferTypes, randomTensor, ravel, runOp, runOp1, size, unravel } from '../../helpers/op-testing.js';

/** Layout ops copy raw storage, so they are exercised on several dtypes (f16 as raw bits). */
function randomAnyTensor(rng: Rng, shape: readonly number[]): Tensor {
  const dtype = rng.pick<DType>(['f32', 'f32', 'i64', 'i32', 'f16', 'bool']);
  const hi = dtype === 'bool' ? 1 : dtype === 'f16' ? 0x3bff : 1000;
  return dtype === 'f32' ? randomTensor(rng, shape) : randomTensor(rng, shape, dtype, 0, hi);
}

/** out[i] = x[source(index of i)] over the output shape. */
function mapIndices(x: Tensor, outShape: readonly number[], source: (idx: number[]) => number[] | undefined, fill = 0): number[] {
  return Array.from({ length: size(outShape) }, (_, o) => {
    const src = source(unravel(o, outShape));
    return src ? x.get(ravel(src, x.shape)) : fill;
  });
}

test('transpose moves every element to its permuted index', () => {
  const rng = new Rng(31);
  for (let t = 0; t < 30; t++) {
    const x = randomAnyTensor(rng, rng.shape(rng.int(0, 5), 1, 4));
    const perm = rng.perm(x.rank);
    const outShape = perm.map((p) => x.shape[p]!);
    const want = mapIndices(x, outShape, (idx) => {
      const src = new Array<number>(x.rank);
      perm.forEach((p, i) => (src[p] = idx[i]!));
      return src;
    });
    const got = runOp1(Transpose, [x], { perm });
    assert.equal(got.dtype, x.dtype);
    assertExact(got, want, outShape, `case ${t}: ${x.dtype}[${x.shape}] perm=${perm}`);
  }
});

test('reshape keeps the row-major order', () => {
  const rng = new Rng(32);
  const x = randomTensor(rng, [2, 3, 4]);
  assertExact(runOp1(Reshape, [x], { shape: [4, 6] }), x.toNumbers(), [4, 6], 'reshape');
  assertExact(runOp1(Reshape, [x], { shape: [24] }), x.toNumbers(), [24], 'flatten');
});

test('expand broadcasts both ways, as ONNX Expand', () => {
  const rng = new Rng(33);
  for (let t = 0; t < 30; t++) {
    const outRank = rng.int(1, 4);
    const full = rng.shape(outRank, 1, 4);
    // x: a right-aligned suffix with some dims 1; target: full with some dims 1 (x's size wins there).
    const x = randomAnyTensor(rng, full.slice(rng.int(0, outRank)).map((d) => (rng.bool() ? 1 : d)));
    const target = full.map((d) => (rng.next() < 0.3 ? 1 : d));
    const off = outRank - x.rank;
    const outShape = target.map((d, i) => (i < off ? d : Math.max(d, x.shape[i - off]!)));
    const want = mapIndices(x, outShape, (idx) => idx.slice(off).map((v, i) => (x.shape[i] === 1 ? 0 : v)));
    assertExact(runOp1(Expand, [x], { shape: target }), want, outShape, `case ${t}: [${x.shape}] to [${target}]`);
  }
});

test('concat and split are inverse along any axis, including empty pieces', () => {
  const rng = new Rng(34);
  for (let t = 0; t < 30; t++) {
    const rank = rng.int(1, 4);
    const base = rng.shape(rank, 1, 4);
    const axis = rng.int(-rank, rank - 1);
    const ax = axis < 0 ? axis + rank : axis;
    const sizes: number[] = Array.from({ length: rng.int(1, 4) }, () => rng.int(0, 3));
    if (!sizes.some((s) => s > 0)) sizes[0] = 1;
    const dtype = rng.pick<DType>(['f32', 'i64']);
    const parts = sizes.map((s) => randomTensor(rng, base.map((d, i) => (i === ax ? s : d)), dtype, -50, 50));
    const outShape = base.map((d, i) => (i === ax ? sizes.reduce((p, q) => p + q, 0) : d));
    const starts = sizes.map((_, k) => sizes.slice(0, k).reduce((p, q) => p + q, 0));
    const want = Array.from({ length: size(outShape) }, (_, o) => {
      const idx = unravel(o, outShape);
      let k = 0;
      while (idx[ax]! >= starts[k]! + sizes[k]!) k++;
      return parts[k]!.get(ravel(idx.map((v, i) => (i === ax ? v - starts[k]! : v)), parts[k]!.shape));
    });
    const joined = runOp1(Concat, parts, { axis });
    assertExact(joined, want, outShape, `concat case ${t}: axis=${axis} sizes=${sizes}`);
    const back = runOp(Split, [joined], { axis, sizes });
    back.forEach((p, k) => assertExact(p, parts[k]!.toNumbers(), parts[k]!.shape, `split case ${t} piece ${k}`));
  }
});

/**
 * The elements ONNX Slice visits on an axis of size d, by the spec's wording: negative bounds add d,
 * then start clamps to [0, d] ([0, d−1] stepping backwards) and end to [0, d] ([−1, d−1]).
 * (Unlike Python, a backward start before the beginning still visits element 0; ONNX Runtime agrees.)
 */
function sliceIndices(d: number, start: number, end: number, step: number): number[] {
  const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  const s = start < 0 ? start + d : start;
  const e = end < 0 ? end + d : end;
  const out: number[] = [];
  if (step > 0) for (let i = clamp(s, 0, d); i < clamp(e, 0, d); i += step) out.push(i);
  else for (let i = clamp(s, 0, d - 1); i > clamp(e, -1, d - 1); i += step) out.push(i);
  return out;
}

test('slice follows ONNX: negative starts/ends/steps, clamped bounds, axis subsets', () => {
  const rng = new Rng(35);
  const big = 2 ** 53 - 1;
  for (let t = 0; t < 60; t++) {
    const x = randomAnyTensor(rng, rng.shape(rng.int(1, 4), 1, 6));
    const r = x.rank;
    const axes = rng.perm(r).slice(0, rng.int(1, r));
    const bound = () => rng.pick([rng.int(-8, 8), rng.int(-8, 8), big, -big]);
    const starts = axes.map(bound);
    const ends = axes.map(bound);
    const steps = axes.map(() => rng.pick([1, 1, 2, 3, -1, -2]));
    const written = axes.map((a) => (rng.bool() ? a - r : a));
    const picks = x.shape.map((d, ax) => {
      const k = axes.indexOf(ax);
      return k < 0 ? [...Array(d).keys()] : sliceIndices(d, starts[k]!, ends[k]!, steps[k]!);
    });
    const outShape = picks.map((p) => p.length);
    const want = mapIndices(x, outShape, (idx) => idx.map((v, ax) => picks[ax]![v]!));
    const got = runOp1(Slice, [x], { starts, ends, axes: written, steps });
    assertExact(got, want, outShape, `case ${t}: [${x.shape}] starts=${starts} ends=${ends} axes=${written} steps=${steps}`);
  }
  // Default axes (0..n) and steps (1).
  const x = randomTensor(rng, [4, 5]);
  assertExact(runOp1(Slice, [x], { starts: [1, -2], ends: [3, big] }), mapIndices(x, [2, 2], ([i, j]) => [i! + 1, j! + 3]), [2, 2], 'defaults');
});

test('pad: constant, edge and reflect with negative pads cropping first', () => {
  const rng = new Rng(36);
  let t = 0;
  while (t < 60) {
    const x = randomAnyTensor(rng, rng.shape(rng.int(1, 3), 1, 5));
    const r = x.rank;
    const mode = rng.pick(['constant', 'edge', 'reflect'] as const);
    const pads = Array.from({ length: 2 * r }, () => rng.int(-2, 3));
    const kept = x.shape.map((d, i) => d - Math.max(0, -pads[i]!) - Math.max(0, -pads[r + i]!));
    if (kept.some((k) => k < 1)) continue;
    if (mode === 'reflect' && kept.some((k, i) => Math.max(pads[i]!, pads[r + i]!) > k - 1)) continue;
    const value = x.dtype === 'bool' ? 1 : x.dtype === 'f16' ? 2.5 : rng.int(-9, 9);
    const outShape = x.shape.map((d, i) => d + pads[i]! + pads[r + i]!);
    const want = Array.from({ length: size(outShape) }, (_, o) => {
      const idx = unravel(o, outShape);
      const src: number[] = [];
      for (let i = 0; i < r; i++) {
        // Output index → input index; the cropped input spans [c0, c1).
        const p = idx[i]! - pads[i]!;
        const c0 = Math.max(0, -pads[i]!);
        const c1 = x.shape[i]! - Math.max(0, -pads[r + i]!);
        if (p >= c0 && p < c1) src.push(p);
        else if (mode === 'constant') return value;
        else if (mode === 'edge') src.push(p < c0 ? c0 : c1 - 1);
        else src.push(p < c0 ? 2 * c0 - p : 2 * (c1 - 1) - p);
      }
      return x.get(ravel(src, x.shape));
    });
    assertExact(runOp1(Pad, [x], { pads, mode, value }), want, outShape, `case ${t}: ${x.dtype}[${x.shape}] pads=${pads} ${mode}`);
    t++;
  }
});

test('tile repeats each axis', () => {
  const rng = new Rng(37);
  for (let t = 0; t < 20; t++) {
    const x = randomAnyTensor(rng, rng.shape(rng.int(1, 3), 1, 4));
    const repeats = x.shape.map(() => rng.int(0, 3));
    const outShape = x.shape.map((d, i) => d * repeats[i]!);
    assertExact(runOp1(Tile, [x], { repeats }), mapIndices(x, outShape, (idx) => idx.map((v, i) => v % x.shape[i]!)), outShape, `case ${t}`);
  }
});

test('layout inference carries the symbolic batch', () => {
  const x = f32(['N', 197, 192]);
  assert.deepEqual(inferShape(Reshape, [x], { shape: ['N', 197, 3, 64] }), ['N', 197, 3, 64]);
  assert.deepEqual(inferShape(Reshape, [f32(['N', 4])], { shape: [4, 'N'] }), [4, 'N']);
  assert.deepEqual(inferShape(Reshape, [f32(['N', 49, 8])], { shape: ['49*N', 8] }), ['49*N', 8]);
  assert.deepEqual(inferShape(Transpose, [f32(['N', 197, 3, 64])], { perm: [2, 0, 1, 3] }), [3, 'N', 197, 64]);
  assert.deepEqual(inferShape(Expand, [f32([1, 1, 192])], { shape: ['N', 1, 192] }), ['N', 1, 192]);
  assert.deepEqual(inferShape(Concat, [f32(['N', 1, 192]), f32(['N', 196, 192])], { axis: 1 }), ['N', 197, 192]);
  assert.deepEqual(inferShape(Concat, [x, x], { axis: 0 }), ['2*N', 197, 192]);
  assert.deepEqual(
    inferTypes(Split, [f32(['N', 197, 576])], { axis: -1, sizes: [192, 192, 192] }).map((t) => t.shape),
    [['N', 197, 192], ['N', 197, 192], ['N', 197, 192]],
  );
  assert.deepEqual(inferShape(Slice, [x], { starts: [0], ends: [1], axes: [1] }), ['N', 1, 192]);
  assert.deepEqual(inferShape(Slice, [x], { starts: [0, 1], ends: [2 ** 53 - 1, 2 ** 53 - 1], axes: [0, 1] }), ['N', 196, 192]);
  assert.deepEqual(inferShape(Slice, [x], { starts: [-1], ends: [-(2 ** 53 - 1)], axes: [0], steps: [-1] }), ['N', 197, 192]);
  assert.deepEqual(inferShape(Pad, [x], { pads: [0, 1, 0, 0, 2, 0], mode: 'constant' }), ['N', 200, 192]);
  assert.deepEqual(inferShape(Tile, [f32(['N', 3])], { repeats: [2, 1] }), ['2*N', 3]);
});

test('layout inference rejects bad operands', () => {
  const x = f32(['N', 197, 192]);
  assertRejects(Reshape, [x], { shape: ['N', 197, 190] }, /cannot reshape \[N,197,192\] \(37824\*N elements\) to \[N,197,190\]/);
  assertRejects(Reshape, [x], { shape: [197, 192] }, /cannot reshape/);
  assertRejects(Reshape, [x], { shape: ['N', -1] }, /fully specified/);
  assertRejects(Transpose, [x], { perm: [0, 1, 1] }, /not a permutation/);
  assertRejects(Transpose, [x], { perm: [0, 1] }, /not a permutation/);
  assertRejects(Expand, [f32([3])], { shape: ['N', 4] }, /do not broadcast/);
  assertRejects(Concat, [f32(['N', 1, 192]), f32(['N', 1, 64])], { axis: 1 }, /operand 1 \[N,1,64\] does not match/);
  assertRejects(Concat, [f32([1, 2]), tensorType('i64', [1, 2])], { axis: 0 }, /operand 1 has element type i64/);
  assertRejects(Concat, [x, f32([1, 197, 192])], { axis: 0 }, /cannot add dimensions N and 1/);
  assertRejects(Split, [x], { axis: 0, sizes: [1, 1] }, /needs a static axis.*symbolic/);
  assertRejects(Split, [x], { axis: 2, sizes: [100, 100] }, /add up to 200, axis 2 has 192/);
  assertRejects(Slice, [x], { starts: [1], ends: [2 ** 53 - 1], axes: [0] }, /symbolic axis 0.*must keep the whole axis/);
  assertRejects(Slice, [x], { starts: [0], ends: [3], axes: [0] }, /symbolic axis 0/);
  assertRejects(Slice, [x], { starts: [0], ends: [1], axes: [1], steps: [0] }, /step on axis 1 is 0/);
  assertRejects(Slice, [x], { starts: [0, 0], ends: [1, 1], axes: [1, -2] }, /repeat an axis/);
  assertRejects(Slice, [x], { starts: [0], ends: [1, 2] }, /1 starts but 2 ends/);
  assertRejects(Pad, [x], { pads: [1, 0, 0, 0, 0, 0], mode: 'constant' }, /cannot pad symbolic axis 0/);
  assertRejects(Pad, [f32([3, 4])], { pads: [0, 4, 0, 0], mode: 'reflect' }, /reflect pads 4,0 exceed 3/);
  assertRejects(Pad, [f32([3, 4])], { pads: [0, -3, 0, -2], mode: 'constant' }, /crop more than the 4 elements/);
  assertRejects(Tile, [x], { repeats: [1, 2] }, /repeats has 2 values, expected 3/);
});
