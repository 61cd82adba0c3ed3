import assert from 'node:assert/strict';
import { test } from 'node:test';
import { workloadKey } from '../../../codegen/emit-webgpu.js';
import { WEBGPU_DEFAULT_LIMITS } from '../../../codegen/schedule/limits.js';
import { chooseSchedule, rankSchedules, tunedChooser } from '../../../codegen/tune/apply.js';
import { deviceDistance } from '../../../codegen/tune/fingerprint.js';
import { compileWebGpu } from '../../../compiler/compile-webgpu.js';
import { GraphBuilder } from '../../../ir/builder.js';
import { Add, MatMul, Relu } from '../../../ir/ops/index.js';
import { Tensor } from '../../../ir/tensor.js';
import { tensorType } from '../../../ir/types.js';
import { fakeDevice, fakeRecord, mm } from './fake-records.js';
import { matmulWorkload } from './workloads.js';

const w = matmulWorkload(64, 64, 32);
const key = workloadKey(w);
const here = fakeDevice();
const sameKindOtherDriver = fakeDevice({ description: 'Mesa 23.0' });
const otherVendor = fakeDevice({ vendor: 'google', architecture: 'swiftshader', backend: 'vulkan', name: 'SwiftShader' });

test('device distance: exact 0, then same vendor/architecture/backend, then limits similarity', () => {
  assert.equal(deviceDistance(here, here), 0);
  const closeLimits = fakeDevice({ description: 'Mesa 24', limits: { ...WEBGPU_DEFAULT_LIMITS, maxComputeInvocationsPerWorkgroup: 512 } });
  const farLimits = fakeDevice({ description: 'Mesa 24', limits: { ...WEBGPU_DEFAULT_LIMITS, maxComputeInvocationsPerWorkgroup: 1024, maxComputeWorkgroupSizeX: 1024, maxComputeWorkgroupStorageSize: 65536 } });
  assert.ok(deviceDistance(here, sameKindOtherDriver) > 0);
  assert.ok(deviceDistance(here, closeLimits) < deviceDistance(here, farLimits));
  // Any difference in vendor outweighs any difference in limits.
  const sameLimitsOtherVendor = fakeDevice({ vendor: 'other', description: 'Mesa 22.3.6' });
  assert.ok(deviceDistance(here, farLimits) < deviceDistance(here, sameLimitsOtherVendor));
  assert.ok(deviceDistance(here, sameKindOtherDriver) < deviceDistance(here, otherVendor));
});

test('apply-best prefers the exact device, then the nearest, then the default', () => {
  const records = [
    fakeRecord(otherVendor, key, mm(16, 16), 0.5),
    fakeRecord(sameKindOtherDriver, key, mm(8, 8), 3),
    fakeRecord(sameKindOtherDriver, key, mm(4, 8), 2),
    fakeRecord(here, key, mm(4, 4), 5),
    fakeRecord(here, key, mm(2, 4), 4),
    fakeRecord(here, key, mm(1, 4), null),
  ];
  const exact = chooseSchedule(records, w, key, here, WEBGPU_DEFAULT_LIMITS);
  assert.equal(exact.source, 'tuned-exact');
  assert.deepEqual(exact.schedule, mm(2, 4));
  // Without records of this device: the nearest device (same vendor), not the fastest one (other vendor).
  const nearest = chooseSchedule(records.slice(0, 3), w, key, here, WEBGPU_DEFAULT_LIMITS);
  assert.equal(nearest.source, 'tuned-nearest');
  assert.deepEqual(nearest.schedule, mm(4, 8));
  assert.equal(nearest.from?.id, sameKindOtherDriver.id);
  // Nothing for this workload: the default.
  assert.equal(chooseSchedule(records, w, 'another-key', here, WEBGPU_DEFAULT_LIMITS).source, 'default');
  // Only a device of another vendor has records: too far to borrow from, unless the caller allows it.
  assert.equal(chooseSchedule(records.slice(0, 1), w, key, here, WEBGPU_DEFAULT_LIMITS).source, 'default');
  assert.deepEqual(chooseSchedule(records.slice(0, 1), w, key, here, WEBGPU_DEFAULT_LIMITS, Infinity).schedule, mm(16, 16));
  assert.equal(chooseSchedule([], w, key, here, WEBGPU_DEFAULT_LIMITS).source, 'default');
});

test('apply-best never uses a schedule that was wrong on that device, nor one that does not fit the limits', () => {
  const records = [
    fakeRecord(here, key, mm(8, 8), 1),
    fakeRecord(here, key, mm(8, 8), null, { status: 'wrong', message: 'element 0' }),
    fakeRecord(here, key, mm(32, 16), 0.5),
    fakeRecord(here, key, mm(4, 4), 2),
  ];
  assert.deepEqual(rankSchedules(records).map((b) => b.schedule), [mm(32, 16), mm(4, 4)]);
  // 32×16 = 512 invocations do not fit WebGPU's default 256.
  const c = chooseSchedule(records, w, key, here, WEBGPU_DEFAULT_LIMITS);
  assert.deepEqual(c.schedule, mm(4, 4));
  // A schedule measured several times ranks by the median of its measurements.
  const noisy = [fakeRecord(here, key, mm(2, 2), 1), fakeRecord(here, key, mm(2, 2), 9), fakeRecord(here, key, mm(2, 2), 8), fakeRecord(here, key, mm(1, 8), 5)];
  assert.deepEqual(rankSchedules(noisy)[0]!.schedule, mm(1, 8));
});

test('once a workload has confirmation measurements, only they rank its schedules', () => {
  // The search saw 2×2 at 1 ms once (a lucky sample); re-measured against the default it is slower.
  const records = [
    fakeRecord(here, key, mm(8, 8), 5, { isDefault: true, phase: 'default' }),
    fakeRecord(here, key, mm(2, 2), 1),
    fakeRecord(here, key, mm(1, 8), 4),
    fakeRecord(here, key, mm(2, 2), 6, { phase: 'confirm' }),
    fakeRecord(here, key, mm(8, 8), 5, { phase: 'confirm' }),
    fakeRecord(here, key, mm(2, 2), 7, { phase: 'confirm' }),
    fakeRecord(here, key, mm(8, 8), 4.5, { phase: 'confirm' }),
  ];
  assert.deepEqual(rankSchedules(records).map((b) => [b.schedule, b.medianMs, b.measurements]), [
    [mm(8, 8), 4.75, 2],
    [mm(2, 2), 6.5, 2],
  ]);
  assert.deepEqual(chooseSchedule(records, w, key, here, WEBGPU_DEFAULT_LIMITS).schedule, mm(8, 8));
  // Without confirmation records, every measurement counts.
  assert.deepEqual(rankSchedules(records.slice(0, 3))[0]!.schedule, mm(2, 2));
});

test('a compile with the chooser reports where each kernel schedule came from', () => {
  const b = new GraphBuilder('two-matmuls');
  const x = b.input('x', tensorType('f32', [1, 64, 32]));
  const h = b.add1(Relu, [b.add1(Add, [b.add1(MatMul, [x, b.constant(Tensor.f32([32, 64], new Array(2048).fill(0.01)), 'w1')], {}), b.constant(Tensor.f32([64], new Array(64).fill(0.1)), 'b1')], {})], {});
  b.output(b.add1(MatMul, [h, b.constant(Tensor.f32([64, 16], new Array(1024).fill(0.02)), 'w2')], {}), 'y');
  const g = b.build();
  const plain = compileWebGpu(g);
  assert.ok(plain.kernels.every((k) => k.source === 'default'));
  const [first, second] = plain.kernels;
  const tuned = { kind: 'matmul' as const, wgX: 4, wgY: 4, tm: 2, tn: 4, vec: 4 as const, kUnroll: 2, interleave: true };
  const otherLlvmpipe = fakeDevice({ name: 'llvmpipe (Mesa 23)', description: 'Mesa 23.0' });
  const records = [fakeRecord(here, first!.workloadKey, tuned, 1), fakeRecord(otherLlvmpipe, second!.workloadKey, { ...tuned, wgX: 8 }, 1)];
  const chooser = tunedChooser(records, here, WEBGPU_DEFAULT_LIMITS);
  const out = compileWebGpu(g, { choose: chooser.choose });
  assert.deepEqual(out.kernels.map((k) => k.source), ['tuned-exact', 'tuned-nearest']);
  assert.deepEqual(out.kernels[0]!.schedule, tuned);
  assert.deepEqual(out.kernels[1]!.schedule, { ...tuned, wgX: 8 });
  assert.equal(chooser.applied.get(second!.workloadKey)?.from?.name, 'llvmpipe (Mesa 23)');
  // The tuned kernels compute the same model.
  assert.notEqual(out.plan.programs[0]!.hash, plain.plan.programs[0]!.hash);
});
