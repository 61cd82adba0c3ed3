import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { defaultSchedule } from '../../../codegen/schedule/defaults.js';
import { targetLimitsOf } from '../../../codegen/schedule/limits.js';
import { jobFor } from '../../../codegen/tune/job.js';
import { measureCandidate, prepareTrialData } from '../../../codegen/tune/measure.js';
import { evaluateWorkload } from '../../../codegen/workload/evaluate.js';
import { acquireDevice, type AcquiredDevice } from '../../../runtime/webgpu/adapters.js';
import { matmulWorkload } from './workloads.js';

const w = matmulWorkload(20, 24, 16, { residual: true });
const job = jobFor(w);

test('trial data: distinct random input sets, each with its CPU result', () => {
  const data = prepareTrialData(job, 3, 5);
  assert.equal(data.slots.length, 3);
  assert.notDeepEqual(data.slots[0]![0], data.slots[1]![0], 'inputs rotate between different sets');
  for (let set = 0; set < 3; set++) {
    const out = new Float64Array(data.slotElements[data.outputSlot]!);
    evaluateWorkload(w, w.operands.map((_, i) => data.slots[set]![job.bindings[i]!.slot]!), out);
    assert.deepEqual(out, data.expected[set]);
  }
});

process.env.EGL_PLATFORM ??= 'surfaceless';

// llvmpipe has no timestamp queries; SwiftShader has them (the tuner's device asks for them).
for (const [adapter, method] of [['llvmpipe', 'host'], ['swiftshader', 'timestamp']] as const)
  describe(`measuring a candidate on ${adapter}`, () => {
    let acquired: AcquiredDevice;
    let device: GPUDevice;
    before(async () => {
      acquired = await acquireDevice({ adapter, maxLimits: true });
      device = acquired.device;
    });
    after(() => acquired.release());

    test(`a correct candidate is timed (${method}), one sample per input set per round`, async () => {
      const limits = targetLimitsOf(device.limits);
      const data = prepareTrialData(job, 3, 1);
      const o = await measureCandidate(device, limits, job, data, defaultSchedule(w, limits), { rounds: 2, sampleBudgetMs: 60_000 });
      assert.equal(o.status, 'ok', o.status !== 'ok' ? o.message : '');
      if (o.status !== 'ok') return;
      assert.equal(o.method, method);
      assert.equal(o.samplesMs.length, 6);
      assert.ok(o.minMs > 0 && o.minMs <= o.medianMs);
    });

    test('cpu timing: process CPU time per sample, the same number of samples', async () => {
      const limits = targetLimitsOf(device.limits);
      const data = prepareTrialData(job, 2, 3);
      const o = await measureCandidate(device, limits, job, data, defaultSchedule(w, limits), { rounds: 2, sampleBudgetMs: 60_000, method: 'cpu' });
      assert.equal(o.status, 'ok');
      if (o.status !== 'ok') return;
      assert.equal(o.method, 'cpu');
      assert.equal(o.samplesMs.length, 4);
      assert.ok(o.samplesMs.every((x) => x > 0));
    });

    test('a candidate whose output disagrees with the reference is rejected before it is timed', async () => {
      const limits = targetLimitsOf(device.limits);
      const data = prepareTrialData(job, 3, 1);
      // Same kernel, but the reference for the second input set is off in one element.
      const expected = data.expected.map((e) => Float64Array.from(e));
      expected[1]![data.positions[7]!]! += 0.5;
      const o = await measureCandidate(device, limits, job, { ...data, expected }, defaultSchedule(w, limits));
      assert.equal(o.status, 'wrong');
      assert.match(o.status === 'wrong' ? o.message : '', new RegExp(`input set 1: element ${data.positions[7]}`));
      assert.ok(!('medianMs' in o));
    });
  });
