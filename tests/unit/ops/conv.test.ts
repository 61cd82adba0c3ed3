import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Cast, Conv, ConvTranspose } from '../../../ir/ops/index.js';
import type { Tensor } from '../../../ir/tensor.js';
import { tensorType } from '../../../ir/types.js';
import { Rng } from '../../helpers/prng.js';
import { assertClose, assertRejects, f32, inferShape, randomTensor, ravel, runOp1, size, unravel } from '../../helpers/op-testing.js';

interface ConvCase {
  x: Tensor;
  w: Tensor;
  b: Tensor | undefined;
  strides: number[];
  pads: number[];
  dilations: number[];
  group: number;
}

/** ONNX Conv by its definition: every output sums x·w over its group's channels and the kernel, 0 outside x. */
function naiveConv({ x, w, b, strides, pads, dilations, group }: ConvCase): { shape: number[]; values: number[] } {
  const r = x.rank - 2;
  const [n, c] = x.shape as [number, number];
  const [m, cg] = w.shape as [number, number];
  const kernel = w.shape.slice(2);
  const inSp = x.shape.slice(2);
  const outSp = inSp.map((d, i) => Math.floor((d + pads[i]! + pads[r + i]! - dilations[i]! * (kernel[i]! - 1) - 1) / strides[i]!) + 1);
  const shape = [n, m, ...outSp];
  const xv = x.toNumbers();
  const wv = w.toNumbers();
  const values = new Array<number>(size(shape)).fill(0);
  const mg = m / group;
  for (let o = 0; o < values.length; o++) {
    const [bi, mi, ...op] = unravel(o, shape) as [number, number, ...number[]];
    const g = Math.floor(mi / mg);
    let s = b ? b.get(mi) : 0;
    for (let ci = 0; ci < cg; ci++)
      for (let k = 0; k < size(kernel); k++) {
        const kp = unravel(k, kernel);
        const ip = op.map((p, i) => p * strides[i]! - pads[i]! + kp[i]! * dilations[i]!);
        if (ip.some((p, i) => p < 0 || p >= inSp[i]!)) continue;
        s += xv[ravel([bi, g * cg + ci, ...ip], x.shape)]! * wv[ravel([mi, ci, ...kp], w.shape)]!;
      }
    values[o] = s;
  }
  void c;
  return { shape, values };
}

/** ONNX ConvTranspose by scattering: x[n,ci,i] adds x·w[ci,co,k] at output position i·s + k·d − pad. */
function naiveConvTranspose(cs: ConvCase, outputPadding: number[]): { shape: number[]; values: number[] } {
  const { x, w, b, strides, pads, dilations, group } = cs;
  const r = x.rank - 2;
  const [n, cin] = x.shape as [number, number];
  const cog = w.shape[1]!;
  const kernel = w.shape.slice(2);
  const inSp = x.shape.slice(2);
  const outSp = inSp.map((d, i) => strides[i]! * (d - 1) + outputPadding[i]! + (kernel[i]! - 1) * dilations[i]! + 1 - pads[i]! - pads[r + i]!);
  const shape = [n, cog * group, ...outSp];
  const values = new Array<number>(size(shape)).fill(0);
  const cg = cin / group;
  for (let i = 0; i < x.size; i++) {
    const [bi, ci, ...ip] = unravel(i, x.shape) as [number, number, ...number[]];
    const g = Math.floor(ci / cg);
    for (let co = 0; co < cog; co++)
      for (let k = 0; k < size(kernel); k++) {
        const kp = unravel(k, kernel);
        const op = ip.map((p, d) => p * strides[d]! + kp[d]! * dilations[d]! - pads[d]!);
        if (op.some((p, d) => p < 0 || p >= outSp[d]!)) continue;
        values[ravel([bi, g * cog + co, ...op], shape)]! += x.get(i) * w.get(ravel([ci, co, ...kp], w.shape));
      }
  }
  if (b) for (let o = 0; o < values.length; o++) values[o]! += b.get(unravel(o, shape)[1]!);
  return { shape, values };
}

function randomConvCase(rng: Rng, transposed: boolean): ConvCase {
  const r = rng.int(1, 2);
  const group = rng.pick([1, 1, 2, 3]);
  const cg = rng.int(1, 3);
  const mg = rng.int(1, 3);
  const kernel = rng.shape(r, 1, 4);
  const strides = rng.shape(r, 1, 3);
  const dilations = rng.shape(r, 1, 2);
  const pads = [...rng.shape(r, 0, 2), ...rng.shape(r, 0, 2)];
  // Input sizes for which the (padded) window fits, including odd ones.
  const sizes = kernel.map((k, i) => Math.max(1, dilations[i]! * (k - 1) + 1 - pads[i]! - pads[r + i]! + rng.int(0, 6)));
  const n = rng.int(1, 2);
  const x = randomTensor(rng, [n, cg * group, ...sizes]);
  const w = transposed ? randomTensor(rng, [cg * group, mg, ...kernel]) : randomTensor(rng, [mg * group, cg, ...kernel]);
  const b = rng.bool() ? randomTensor(rng, [mg * group]) : undefined;
  return { x, w, b, strides, pads, dilations, group };
}

const describe = (c: ConvCase) =>
  `x[${c.x.shape}] w[${c.w.shape}] b=${!!c.b} strides=${c.strides} pads=${c.pads} dilations=${c.dilations} group=${c.group}`;

test('conv matches the direct definition on random 1-D and 2-D cases (strides, pads, dilations, groups, bias)', () => {
  const rng = new Rng(1234);
  for (let t = 0; t < 60; t++) {
    const c = randomConvCase(rng, false);
    const want = naiveConv(c);
    const got = runOp1(Conv, c.b ? [c.x, c.w, c.b] : [c.x, c.w], { strides: c.strides, pads: c.pads, dilations: c.dilations, group: c.group });
    assertClose(got, want.values, want.shape, `case ${t}: ${describe(c)}`);
  }
});

test('conv fast paths: pointwise 1×1 and non-overlapping patches', () => {
  const rng = new Rng(7);
  const cases: ConvCase[] = [
    { x: randomTensor(rng, [2, 6, 5, 7]), w: randomTensor(rng, [4, 6, 1, 1]), b: randomTensor(rng, [4]), strides: [1, 1], pads: [0, 0, 0, 0], dilations: [1, 1], group: 1 },
    { x: randomTensor(rng, [1, 3, 12, 8]), w: randomTensor(rng, [5, 3, 4, 4]), b: randomTensor(rng, [5]), strides: [4, 4], pads: [0, 0, 0, 0], dilations: [1, 1], group: 1 },
    { x: randomTensor(rng, [1, 4, 6, 6]), w: randomTensor(rng, [4, 1, 3, 3]), b: undefined, strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1], group: 4 },
  ];
  for (const c of cases) {
    const want = naiveConv(c);
    const got = runOp1(Conv, c.b ? [c.x, c.w, c.b] : [c.x, c.w], { strides: c.strides, pads: c.pads, dilations: c.dilations, group: c.group });
    assertClose(got, want.values, want.shape, describe(c));
  }
});

test('conv_transpose matches the scatter definition on random cases (output_padding, groups)', () => {
  const rng = new Rng(4321);
  let t = 0;
  while (t < 50) {
    const c = randomConvCase(rng, true);
    const r = c.x.rank - 2;
    const outputPadding = c.strides.map((s, i) => rng.int(0, Math.max(s, c.dilations[i]!) - 1));
    // Only cases whose output is non-empty.
    const kernel = c.w.shape.slice(2);
    const ok = c.x.shape.slice(2).every((d, i) => c.strides[i]! * (d - 1) + outputPadding[i]! + (kernel[i]! - 1) * c.dilations[i]! + 1 - c.pads[i]! - c.pads[r + i]! >= 1);
    if (!ok) continue;
    const want = naiveConvTranspose(c, outputPadding);
    const attrs = { strides: c.strides, pads: c.pads, dilations: c.dilations, group: c.group, output_padding: outputPadding };
    const got = runOp1(ConvTranspose, c.b ? [c.x, c.w, c.b] : [c.x, c.w], attrs);
    assertClose(got, want.values, want.shape, `case ${t}: ${describe(c)} output_padding=${outputPadding}`);
    t++;
  }
});

test('conv computes f16 in float64 and stores f16', () => {
  const rng = new Rng(3);
  const x = randomTensor(rng, [1, 2, 4, 4]);
  const w = randomTensor(rng, [3, 2, 3, 3]);
  const attrs = { strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1] };
  const want = runOp1(Conv, [x, w], attrs);
  const toHalf = (t: Tensor) => runOp1(Cast, [t], { to: 'f16' });
  const got = runOp1(Conv, [toHalf(x), toHalf(w)], attrs);
  assert.equal(got.dtype, 'f16');
  // Inputs rounded to f16 (11-bit mantissa) over 18 products: well within 2e-2.
  assertClose(got, want.toNumbers(), want.shape, 'f16 conv', 1e-2, 2e-2);
});

test('conv inference passes the symbolic batch through and counts 2 FLOPs per MAC', () => {
  const attrs = { strides: [16, 16], pads: [0, 0, 0, 0], dilations: [1, 1] };
  assert.deepEqual(inferShape(Conv, [f32(['N', 3, 224, 224]), f32([192, 3, 16, 16]), f32([192])], attrs), ['N', 192, 14, 14]);
  assert.deepEqual(inferShape(Conv, [f32(['2*N', 3, 32, 32]), f32([8, 3, 16, 16])], attrs), ['2*N', 8, 2, 2]);
  const g = { strides: [2, 1], pads: [1, 0, 1, 0], dilations: [1, 1], group: 2 };
  const x = f32(['N', 4, 9, 7]);
  const w = f32([6, 2, 3, 3]);
  const out = inferShape(Conv, [x, w], g);
  assert.deepEqual(out, ['N', 6, 5, 5]);
  // Per unit batch: 6 output channels × 25 positions, each 2 input channels × 9 taps.
  assert.equal(Conv.flops!([x, w], [f32(out)], { ...g }), 2 * 6 * 25 * 2 * 9);
  const xt = f32(['N', 4, 5, 5]);
  const wt = f32([4, 3, 2, 2]);
  const tAttrs = { strides: [2, 2], pads: [0, 0, 0, 0], dilations: [1, 1], group: 2, output_padding: [0, 0] };
  const outT = inferShape(ConvTranspose, [xt, wt], tAttrs);
  assert.deepEqual(outT, ['N', 6, 10, 10]);
  // Every input element meets (cout/group = 3) × 4 taps.
  assert.equal(ConvTranspose.flops!([xt, wt], [f32(outT)], tAttrs), 2 * 4 * 25 * 3 * 4);
});

test('conv inference rejects bad operands with clear errors', () => {
  const a = { strides: [1, 1], pads: [0, 0, 0, 0], dilations: [1, 1] };
  assertRejects(Conv, [tensorType('i32', [1, 3, 5, 5]), tensorType('i32', [2, 3, 3, 3])], a, /needs a float x/);
  assertRejects(Conv, [f32([1, 3, 5, 5]), tensorType('f16', [2, 3, 3, 3])], a, /weight has element type f16/);
  assertRejects(Conv, [f32([1, 4, 5, 5]), f32([2, 3, 3, 3])], a, /expects 3 input channels, x has 4/);
  assertRejects(Conv, [f32([1, 4, 5, 5]), f32([3, 2, 3, 3])], { ...a, group: 2 }, /group 2 does not divide 4 input and 3 output/);
  assertRejects(Conv, [f32([1, 'C', 5, 5]), f32([2, 3, 3, 3])], a, /static channel and spatial axes.*axis 1.*symbolic/);
  assertRejects(Conv, [f32(['N', 3, 'N', 5]), f32([2, 3, 3, 3])], a, /static channel and spatial axes.*axis 2/);
  assertRejects(Conv, [f32([1, 3, 2, 5]), f32([2, 3, 3, 3])], a, /does not fit input size 2/);
  assertRejects(Conv, [f32([1, 3, 5, 5]), f32([2, 3, 3, 3])], { ...a, strides: [1] }, /strides has 1 values, expected 2/);
  assertRejects(Conv, [f32([1, 3, 5, 5]), f32([2, 3, 3, 3])], { ...a, strides: [0, 1] }, /strides must be positive/);
  assertRejects(Conv, [f32([1, 3, 5, 5, 5]), f32([2, 3, 3, 3, 3])], a, /rank 3 or 4/);
  assertRejects(Conv, [f32([1, 3, 5, 5]), f32([2, 3, 3])], a, /must have the rank of x/);
  assertRejects(Conv, [f32([1, 3, 5, 5]), f32([2, 3, 3, 3]), f32([3])], a, /bias must have shape \[2\]/);
  const t = { ...a, output_padding: [2, 0], strides: [2, 2] };
  assertRejects(ConvTranspose, [f32([1, 2, 3, 3]), f32([2, 3, 3, 3])], t, /output_padding 2 must be non-negative and smaller than the stride or the dilation/);
  assertRejects(ConvTranspose, [f32([1, 2, 3, 3]), f32([3, 3, 3, 3])], { ...t, output_padding: [0, 0] }, /expects 3 input channels, x has 2/);
});
