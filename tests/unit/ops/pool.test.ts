import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AvgPool, GlobalAvgPool, MaxPool } from '../../../ir/ops/index.js';
import type { Tensor } from '../../../ir/tensor.js';
import { tensorType, typeOf } from '../../../ir/types.js';
import { Rng } from '../../helpers/prng.js';
import { assertClose, assertRejects, f32, inferShape, randomTensor, ravel, runOp1, size, unravel } from '../../helpers/op-testing.js';

interface PoolCase {
  x: Tensor;
  kernel: number[];
  strides: number[];
  pads: number[];
  dilations: number[];
  ceil: boolean;
}

/**
 * Window starts along one axis, in padded coordinates, counted one by one: floor mode keeps
 * windows that fit in the padded extent; ceil mode also keeps a last partial one, but never one
 * that starts past the input (in the end padding).
 */
function windowCount(size: number, k: number, s: number, pb: number, pe: number, d: number, ceil: boolean): number {
  const extent = size + pb + pe;
  const span = d * (k - 1) + 1;
  let n = 0;
  while (ceil ? n * s < extent - span + s && n * s < size + pb : n * s + span <= extent) n++;
  return n;
}

/** Pools each window by visiting its taps in padded coordinates: `visit(value | undefined, insidePaddedExtent)`. */
function naivePool(c: PoolCase, reduce: (taps: { v: number | undefined; inExtent: boolean }[]) => number): { shape: number[]; values: number[] } {
  const r = c.x.rank - 2;
  const inSp = c.x.shape.slice(2);
  const outSp = inSp.map((d, i) => windowCount(d, c.kernel[i]!, c.strides[i]!, c.pads[i]!, c.pads[r + i]!, c.dilations[i]!, c.ceil));
  const shape = [c.x.shape[0]!, c.x.shape[1]!, ...outSp];
  const values: number[] = [];
  for (let o = 0; o < size(shape); o++) {
    const [n, ch, ...op] = unravel(o, shape) as [number, number, ...number[]];
    const taps: { v: number | undefined; inExtent: boolean }[] = [];
    for (let k = 0; k < size(c.kernel); k++) {
      const kp = unravel(k, c.kernel);
      const padded = op.map((p, i) => p * c.strides[i]! + kp[i]! * c.dilations[i]!);
      const inExtent = padded.every((p, i) => p < inSp[i]! + c.pads[i]! + c.pads[r + i]!);
      const ip = padded.map((p, i) => p - c.pads[i]!);
      const inside = ip.every((p, i) => p >= 0 && p < inSp[i]!);
      taps.push({ v: inside ? c.x.get(ravel([n, ch, ...ip], c.x.shape)) : undefined, inExtent });
    }
    values.push(reduce(taps));
  }
  return { shape, values };
}

function randomPoolCase(rng: Rng, dilated: boolean): PoolCase {
  const r = rng.int(1, 2);
  const kernel = rng.shape(r, 1, 4);
  const strides = rng.shape(r, 1, 3);
  const dilations = dilated ? rng.shape(r, 1, 2) : kernel.map(() => 1);
  const span = kernel.map((k, i) => dilations[i]! * (k - 1) + 1);
  const pads = [...span, ...span].map((s) => rng.int(0, Math.min(2, s - 1)));
  const sizes = span.map((s, i) => Math.max(1, s - pads[i]! - pads[r + i]! + rng.int(0, 6)));
  return { x: randomTensor(rng, [rng.int(1, 2), rng.int(1, 3), ...sizes]), kernel, strides, pads, dilations, ceil: rng.bool() };
}

const describe = (c: PoolCase) => `x[${c.x.shape}] kernel=${c.kernel} strides=${c.strides} pads=${c.pads} dilations=${c.dilations} ceil=${c.ceil}`;

test('avg_pool matches the window definition (ceil_mode, count_include_pad, pads, 1-D and 2-D)', () => {
  const rng = new Rng(99);
  for (let t = 0; t < 80; t++) {
    const c = randomPoolCase(rng, false);
    const includePad = rng.bool();
    const want = naivePool(c, (taps) => {
      const inside = taps.filter((tp) => tp.v !== undefined);
      const count = includePad ? taps.filter((tp) => tp.inExtent).length : inside.length;
      return inside.reduce((s, tp) => s + tp.v!, 0) / count;
    });
    const got = runOp1(AvgPool, [c.x], { kernel: c.kernel, strides: c.strides, pads: c.pads, count_include_pad: includePad, ceil_mode: c.ceil });
    assertClose(got, want.values, want.shape, `case ${t}: ${describe(c)} count_include_pad=${includePad}`);
  }
});

test('max_pool matches the window definition (dilations, ceil_mode, pads never win)', () => {
  const rng = new Rng(100);
  let emptyWindows = 0;
  for (let t = 0; t < 80; t++) {
    const c = randomPoolCase(rng, true);
    const want = naivePool(c, (taps) => Math.max(...taps.filter((tp) => tp.v !== undefined).map((tp) => tp.v!)));
    const attrs = { kernel: c.kernel, strides: c.strides, pads: c.pads, dilations: c.dilations, ceil_mode: c.ceil };
    if (want.values.includes(-Infinity)) {
      // Some dilated window steps over the whole input: rejected rather than pooled to -inf.
      assertRejects(MaxPool, [typeOf(c.x)], attrs, /covers only padding/);
      emptyWindows++;
      continue;
    }
    assertClose(runOp1(MaxPool, [c.x], attrs), want.values, want.shape, `case ${t}: ${describe(c)}`, 0, 0);
  }
  assert.ok(emptyWindows > 0 && emptyWindows < 20, `${emptyWindows} cases with empty windows`);
  // All-negative input: a zero from the padding must not be the maximum.
  const x = randomTensor(rng, [1, 1, 3, 3], 'f32', -5, -1);
  const got = runOp1(MaxPool, [x], { kernel: [2, 2], strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1] });
  assert.ok(got.toNumbers().every((v) => v < 0));
});

test('ceil_mode drops a last window that would start in the end padding', () => {
  // 1-D: size 5, kernel 2, stride 2, pads 0/1: ceil((5+1-2)/2)+1 = 3 windows start at 0, 2, 4 — all
  // inside; with size 4 and pads 0/1 the third window would start at 4, in the padding.
  assert.deepEqual(inferShape(AvgPool, [f32([1, 1, 5])], { kernel: [2], strides: [2], pads: [0, 1], ceil_mode: true }), [1, 1, 3]);
  assert.deepEqual(inferShape(AvgPool, [f32([1, 1, 4])], { kernel: [2], strides: [2], pads: [0, 1], ceil_mode: true }), [1, 1, 2]);
});

test('global_avg_pool averages every spatial axis and keeps them as 1', () => {
  const rng = new Rng(5);
  for (const shape of [[2, 3, 5], [1, 4, 3, 7], [2, 2, 2, 3, 2]]) {
    const x = randomTensor(rng, shape);
    const spatial = size(shape.slice(2));
    const want = Array.from({ length: shape[0]! * shape[1]! }, (_, p) => {
      let s = 0;
      for (let i = 0; i < spatial; i++) s += x.get(p * spatial + i);
      return s / spatial;
    });
    assertClose(runOp1(GlobalAvgPool, [x], {}), want, [shape[0]!, shape[1]!, ...shape.slice(2).map(() => 1)], `global_avg_pool [${shape}]`);
  }
});

test('pool inference: symbolic batch passes, static spatial required, bad windows rejected', () => {
  const a = { kernel: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0] };
  assert.deepEqual(inferShape(AvgPool, [f32(['N', 192, 14, 14])], a), ['N', 192, 7, 7]);
  assert.deepEqual(inferShape(MaxPool, [f32(['N', 8, 9, 9])], { ...a, dilations: [2, 2], ceil_mode: true }), ['N', 8, 4, 4]);
  assert.deepEqual(inferShape(GlobalAvgPool, [f32(['N', 8, 9, 9])], {}), ['N', 8, 1, 1]);
  assert.equal(AvgPool.flops!([f32(['N', 2, 4, 4])], [f32(['N', 2, 2, 2])], { ...a, count_include_pad: false, ceil_mode: false }), 2 * 4 * 4);
  assertRejects(AvgPool, [f32(['N', 8, 'N', 9])], a, /static channel and spatial axes.*axis 2/);
  assertRejects(GlobalAvgPool, [f32(['N', 8, 7, 'N'])], {}, /static spatial axes.*axis 3/);
  assertRejects(GlobalAvgPool, [f32(['N', 8])], {}, /rank ≥ 3/);
  assertRejects(AvgPool, [f32([1, 8, 9, 9])], { ...a, pads: [2, 0, 0, 0] }, /pad 2 must be smaller than the window extent 2/);
  assertRejects(AvgPool, [f32([1, 8, 9, 9])], { ...a, kernel: [2] }, /kernel has 1 values, expected 2/);
  assertRejects(AvgPool, [f32([1, 8, 1, 9])], a, /does not fit input size 1/);
  assertRejects(MaxPool, [tensorType('i64', [1, 8, 9, 9])], { ...a, dilations: [1, 1] }, /needs a float x/);
});
