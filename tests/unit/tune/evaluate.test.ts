import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { lowerWorkload } from '../../../codegen/lower/index.js';
import { viewExtent } from '../../../codegen/plan/view.js';
import { defaultSchedule } from '../../../codegen/schedule/defaults.js';
import { targetLimitsOf } from '../../../codegen/schedule/limits.js';
import { compareOutput } from '../../../codegen/tune/measure.js';
import { SeededRandom } from '../../../codegen/tune/random.js';
import { scheduleSpace } from '../../../codegen/tune/space.js';
import { evaluateWorkload, outputPositions, type OperandData } from '../../../codegen/workload/evaluate.js';
import { ACC } from '../../../codegen/workload/expr.js';
import type { Workload } from '../../../codegen/workload/types.js';
import { type AdapterName, cpuDevice, runKernel } from '../../helpers/gpu.js';
import { matmulWorkload, reduceWorkload, rowWorkload, sampleWorkloads } from './workloads.js';

function operandData(w: Workload, rng: SeededRandom): Float32Array[] {
  return w.operands.map((o) => Float32Array.from({ length: viewExtent(o.view) }, () => rng.uniform(-1, 1)));
}

function evaluate(w: Workload, data: readonly OperandData[]): Float64Array {
  const out = new Float64Array(viewExtent(w.output.view));
  evaluateWorkload(w, data, out);
  return out;
}

describe('workload evaluator on hand-computed cases', () => {
  test('matmul with a transposed weight, bias and gelu epilogue', () => {
    const w = matmulWorkload(1, 2, 2);
    // a = [1, 2]; B stored [n, k] = [[1, 0], [3, 4]] and read transposed; bias = [0.5, -11].
    const out = evaluate(w, [Float32Array.of(1, 2), Float32Array.of(1, 0, 3, 4), Float32Array.of(0.5, -11)]);
    const gelu = (x: number) => 0.5 * x * (1 + erfSeries(x / Math.SQRT2));
    assert.ok(Math.abs(out[0]! - gelu(1 + 0.5)) < 1e-12);
    assert.ok(Math.abs(out[1]! - gelu(3 + 8 - 11)) < 1e-12);
  });

  test('folded LayerNorm prologue normalises the rows of A before the product', () => {
    const w = { ...matmulWorkload(1, 1, 2, { prologue: 'folded' }), epilogue: ACC };
    // Row [1, 3]: mean 2, variance 1, so normalised [-1, 1] (epsilon 1e-5 aside); B = [5, 7] → 2.
    const out = evaluate(w, [Float32Array.of(1, 3), Float32Array.of(5, 7), Float32Array.of(0)]);
    assert.ok(Math.abs(out[0]! - 2 / Math.sqrt(1 + 1e-5)) < 1e-9);
  });

  test('softmax rows and the epilogue', () => {
    const out = evaluate(rowWorkload('softmax', 1, 2), [Float32Array.of(0, Math.fround(Math.log(3)))]);
    assert.ok(Math.abs(out[0]! - 0.5) < 1e-7 && Math.abs(out[1]! - 1.5) < 1e-7);
  });

  test('depthwise 3×3 convolution reads zeros in the padding', () => {
    const w = reduceWorkload(1, 2, 2);
    // x = [[1, 2], [3, 4]], all-ones kernel, bias 10: every output sees the whole 2×2 image.
    const out = evaluate(w, [Float32Array.of(1, 2, 3, 4), new Float32Array(9).fill(1), Float32Array.of(10)]);
    assert.deepEqual([...out], [20, 20, 20, 20]);
    // Only the centre tap: the output equals the input.
    const centre = new Float32Array(9);
    centre[4] = 1;
    assert.deepEqual([...evaluate(w, [Float32Array.of(1, 2, 3, 4), centre, Float32Array.of(0)])], [1, 2, 3, 4]);
  });

  test('an output view only writes the positions it covers', () => {
    const w = { ...rowWorkload('softmax', 1, 2), output: { view: { layers: [{ shape: [1, 2], strides: [2, 2], offset: 1 }] } } };
    const out = new Float64Array(4).fill(-7);
    evaluateWorkload(w, [Float32Array.of(0, 0)], out);
    assert.deepEqual([...out], [-7, 1, -7, 1]);
    assert.deepEqual([...outputPositions(w)], [1, 3]);
  });

  test('compareOutput accepts rounding and rejects a wrong element', () => {
    const want = Float64Array.of(1, 2, 3, NaN);
    const pos = Int32Array.of(0, 1, 2, 3);
    assert.equal(compareOutput(Float32Array.of(1.000001, 2, 3, 5), want, pos), undefined);
    assert.match(compareOutput(Float32Array.of(1, 2.1, 3, 0), want, pos) ?? '', /element 1/);
    assert.match(compareOutput(Float32Array.of(1, 2, NaN, 0), want, pos) ?? '', /element 2/);
  });
});

function erfSeries(z: number): number {
  let s = z;
  let t = z;
  for (let n = 1; n < 80; n++) {
    t *= (-z * z) / n;
    s += t / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * s;
}

for (const adapter of ['llvmpipe', 'swiftshader'] as AdapterName[])
  describe(`workload evaluator agrees with the GPU kernels on ${adapter}`, () => {
    let device: GPUDevice;
    before(async () => {
      device = await cpuDevice(adapter);
    });
    after(() => device.destroy());

    // SwiftShader compiles slowly: one workload per class there.
    const cases = adapter === 'llvmpipe' ? sampleWorkloads() : sampleWorkloads().filter((_, i) => [2, 4, 6, 7, 9].includes(i));
    for (const { name, workload } of cases)
      test(name, async () => {
        const rng = new SeededRandom(name.length * 31 + (adapter === 'llvmpipe' ? 1 : 2));
        const data = operandData(workload, rng);
        const want = evaluate(workload, data);
        const positions = outputPositions(workload);
        const limits = targetLimitsOf(device.limits);
        const space = scheduleSpace(workload, limits);
        // The default and, on llvmpipe, one other point of the space (edges, vec4 or not, tiles).
        const schedules = [defaultSchedule(workload, limits), ...(adapter === 'llvmpipe' ? [rng.pick(space.points)] : [])];
        for (const s of schedules) {
          const got = await runKernel(device, lowerWorkload(workload, s, 'k'), data);
          const bad = compareOutput(got, want, positions);
          assert.equal(bad, undefined, `${JSON.stringify(s)}: ${bad}`);
        }
      });
  });
