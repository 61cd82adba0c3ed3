import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { lowerMatmul } from '../../../codegen/lower/matmul.js';
import { contiguousView, expand, permute, reshape } from '../../../codegen/plan/view.js';
import type { MatmulSchedule } from '../../../codegen/schedule/types.js';
import { ACC, type EExpr } from '../../../codegen/workload/expr.js';
import type { MatmulWorkload } from '../../../codegen/workload/types.js';
import { type AdapterName, cpuDevice, runKernel } from '../../helpers/gpu.js';
import { randInt, randomFloats, rng } from '../../helpers/random.js';

/** Straightforward reference: loops straight from the definition, float64 sums. */
function reference(a: Float32Array, b: Float32Array, bias: Float32Array, res: Float32Array, batch: number, m: number, n: number, k: number, ln?: { g: Float32Array; be: Float32Array; eps: number }) {
  const out = new Float64Array(batch * m * n);
  for (let z = 0; z < batch; z++)
    for (let i = 0; i < m; i++) {
      const row = Array.from({ length: k }, (_, p) => a[(z * m + i) * k + p]!);
      let x = row;
      if (ln) {
        const mean = row.reduce((s, v) => s + v, 0) / k;
        const v = row.reduce((s, q) => s + (q - mean) ** 2, 0) / k;
        x = row.map((q, p) => ((q - mean) / Math.sqrt(v + ln.eps)) * ln.g[p]! + ln.be[p]!);
      }
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += x[p]! * b[(z * k + p) * n + j]!;
        const y = s + bias[j]!;
        out[(z * m + i) * n + j] = Math.max(y, 0) + res[(z * m + i) * n + j]!;
      }
    }
  return out;
}

const schedules: MatmulSchedule[] = [
  { kind: 'matmul', wgX: 8, wgY: 8, tm: 1, tn: 1, vec: 1, kUnroll: 1, interleave: false },
  { kind: 'matmul', wgX: 8, wgY: 4, tm: 4, tn: 8, vec: 4, kUnroll: 4, interleave: false },
  { kind: 'matmul', wgX: 4, wgY: 8, tm: 2, tn: 4, vec: 4, kUnroll: 2, interleave: true },
  { kind: 'matmul', wgX: 16, wgY: 2, tm: 3, tn: 2, vec: 1, kUnroll: 3, interleave: true },
  // split-K: K layers combine through workgroup memory (3 layers: the last slice is short or empty)
  { kind: 'matmul', wgX: 4, wgY: 4, tm: 2, tn: 4, vec: 4, kUnroll: 2, interleave: false, kSplit: 3 },
  { kind: 'matmul', wgX: 8, wgY: 2, tm: 1, tn: 1, vec: 1, kUnroll: 3, interleave: true, kSplit: 4 },
  // vec4 A reads along K (used where K % 4 = 0, scalar otherwise), alone and with split-K
  { kind: 'matmul', wgX: 4, wgY: 8, tm: 4, tn: 8, vec: 4, kUnroll: 2, interleave: false, aVec: 4 },
  // eight rows: row 4's scalar name once collided with row 1's vec4 name (invalid WGSL)
  { kind: 'matmul', wgX: 2, wgY: 4, tm: 8, tn: 8, vec: 1, kUnroll: 2, interleave: false, aVec: 4 },
  { kind: 'matmul', wgX: 8, wgY: 2, tm: 2, tn: 4, vec: 4, kUnroll: 1, interleave: true, kSplit: 2, aVec: 4 },
];

for (const adapter of ['llvmpipe', 'swiftshader'] as AdapterName[]) describe(adapter, () => {
  let device: GPUDevice;
  before(async () => {
    device = await cpuDevice(adapter);
  });
  after(() => device.destroy());

  test(`matmul kernels match the reference on ${adapter} (odd sizes, batch, epilogue, LayerNorm prologue)`, async () => {
    const r = rng(adapter === 'llvmpipe' ? 1 : 2);
    // Every schedule once without and once with the LayerNorm prologue.
    for (let trial = 0; trial < 2 * schedules.length; trial++) {
      const batch = randInt(r, 1, 3);
      const m = randInt(r, 1, 37);
      const n = 4 * randInt(r, 1, 12) + (trial % 2 ? 0 : randInt(r, 0, 3));
      // The vec4-A schedules get K a multiple of 4 (else they fall back to scalar reads).
      const k = schedules[trial % schedules.length]!.aVec === 4 ? 4 * randInt(r, 1, 12) : randInt(r, 1, 45);
      const withLn = trial >= schedules.length;
      const a = randomFloats(r, batch * m * k, 2);
      const b = randomFloats(r, batch * k * n);
      const bias = randomFloats(r, n);
      const res = randomFloats(r, batch * m * n);
      const g = randomFloats(r, k);
      const be = randomFloats(r, k);
      const s = schedules[trial % schedules.length]!;
      // epilogue: relu(acc + bias[n]) + residual[b, m, n]
      const epilogue: EExpr = {
        op: 'binary',
        fn: 'add',
        a: { op: 'unary', fn: 'relu', a: { op: 'binary', fn: 'add', a: ACC, b: { op: 'input', index: 2 } } },
        b: { op: 'input', index: 3 },
      };
      const w: MatmulWorkload = {
        kind: 'matmul',
        batch: [batch],
        m,
        n,
        k,
        a: 0,
        b: 1,
        operands: [
          { view: contiguousView([batch, m, k]), dtype: 'f32' },
          { view: contiguousView([batch, k, n]), dtype: 'f32' },
          { view: expand(contiguousView([n]), [batch, m, n]), dtype: 'f32' },
          { view: contiguousView([batch, m, n]), dtype: 'f32' },
          { view: contiguousView([k]), dtype: 'f32' },
          { view: contiguousView([k]), dtype: 'f32' },
        ],
        prologue: withLn ? { epsilon: 1e-5, gamma: 4, beta: 5 } : null,
        epilogue,
        output: { view: contiguousView([batch, m, n]) },
      };
      const got = await runKernel(device, lowerMatmul(w, s, 'mm'), [a, b, bias, res, g, be]);
      const want = reference(a, b, bias, res, batch, m, n, k, withLn ? { g, be, eps: 1e-5 } : undefined);
      for (let i = 0; i < want.length; i++)
        assert.ok(Math.abs(got[i]! - want[i]!) <= 1e-4 * (1 + Math.abs(want[i]!)), `trial ${trial} [${batch},${m},${n},${k}] ln=${withLn} sched=${JSON.stringify(s)} element ${i}: ${got[i]} vs ${want[i]}`);
    }
  });

  test(`matmul reads operands and writes results through strided views on ${adapter}`, async () => {
    // A is stored transposed ([k, m]); the result is stored transposed ([n, m]).
    const r = rng(11);
    const [m, n, k] = [7, 12, 5];
    const aT = randomFloats(r, k * m);
    const b = randomFloats(r, k * n);
    const w: MatmulWorkload = {
      kind: 'matmul',
      batch: [],
      m,
      n,
      k,
      a: 0,
      b: 1,
      operands: [
        { view: permute(contiguousView([k, m]), [1, 0]), dtype: 'f32' },
        { view: reshape(contiguousView([k * n]), [k, n]), dtype: 'f32' },
      ],
      prologue: null,
      epilogue: ACC,
      output: { view: permute(contiguousView([n, m]), [1, 0]) },
    };
    const got = await runKernel(device, lowerMatmul(w, schedules[1]!, 'mmT'), [aT, b]);
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += aT[p * m + i]! * b[p * n + j]!;
        assert.ok(Math.abs(got[j * m + i]! - s) < 1e-5, `(${i},${j})`);
      }
  });
});
