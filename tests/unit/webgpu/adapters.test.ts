import assert from 'node:assert/strict';
import { test } from 'node:test';
import { acquireDevice, availableAdapters, findSwiftShaderIcd } from '../../../runtime/webgpu/adapters.js';
import { createExecutor, WebGpuRuntimeError } from '../../../runtime/webgpu/executor.js';
import type { ExecutionPlan } from '../../../runtime/webgpu/plan.js';
import { assertClose, K, M, mlpCase, seededValues } from './mlp-case.js';

const oneLineError = (pattern: RegExp) => (e: unknown) => {
  assert.ok(e instanceof WebGpuRuntimeError, `not a WebGpuRuntimeError: ${String(e)}`);
  assert.match(e.message, pattern);
  assert.ok(!e.message.includes('\n'), `not one line: ${e.message}`);
  return true;
};

test('llvmpipe and SwiftShader are both reachable and fingerprinted', async () => {
  const llvmpipe = await acquireDevice({ adapter: 'llvmpipe' });
  const swiftshader = await acquireDevice({ adapter: 'swiftshader' });
  try {
    const l = llvmpipe.fingerprint;
    const s = swiftshader.fingerprint;
    assert.equal(l.name, 'llvmpipe');
    assert.equal(l.backend, 'opengl');
    assert.match(l.device, /llvmpipe/);
    assert.equal(s.name, 'SwiftShader');
    assert.equal(s.backend, 'vulkan');
    assert.equal(s.architecture, 'swiftshader');
    assert.ok(s.features.includes('timestamp-query') && !l.features.includes('timestamp-query'));
    assert.deepEqual([...s.features], [...s.features].sort());
    assert.equal(s.limits.maxComputeInvocationsPerWorkgroup, 256);
    assert.ok(l.limits.maxComputeInvocationsPerWorkgroup! >= 256);
    assert.notEqual(l.key, s.key);
    // The device gets timestamp queries where the adapter has them (profiling needs them).
    assert.ok(swiftshader.device.features.has('timestamp-query'));
  } finally {
    llvmpipe.release();
    swiftshader.release();
  }
  // The fingerprint is stable across acquisitions (the autotuner keys records on it).
  const again = await acquireDevice({ adapter: 'swiftshader' });
  const first = await acquireDevice({ adapter: 'SwiftShader' });
  assert.equal(again.fingerprint.key, first.fingerprint.key);
  again.release();
  first.release();
});

test('an adapter name substring picks the adapter; an unknown one lists what exists', async () => {
  const byName = await acquireDevice({ adapter: 'llvm' });
  assert.equal(byName.fingerprint.name, 'llvmpipe');
  byName.release();
  await assert.rejects(
    acquireDevice({ adapter: 'no-such-gpu' }),
    oneLineError(/^no WebGPU adapter matches "no-such-gpu"; available: .*llvmpipe \[opengl: .*SwiftShader \[vulkan: SwiftShader driver/),
  );
});

test("'auto' takes a real GPU when there is one, else llvmpipe", async () => {
  const all = await availableAdapters();
  assert.ok(all.some((a) => a.fingerprint.name === 'llvmpipe') && all.some((a) => a.fingerprint.name === 'SwiftShader'), `available: ${all.map((a) => a.fingerprint.name)}`);
  const real = all.find((a) => !['llvmpipe', 'SwiftShader', 'lavapipe'].includes(a.fingerprint.name) && !a.fingerprint.isFallbackAdapter);
  const auto = await acquireDevice({ adapter: 'auto' });
  try {
    assert.equal(auto.fingerprint.key, (real ?? all.find((a) => a.fingerprint.name === 'llvmpipe'))!.fingerprint.key);
  } finally {
    auto.release();
  }
});

test('both backends run the same plan side by side in one process', async () => {
  const c = mlpCase();
  const [a, b] = await Promise.all([acquireDevice({ adapter: 'llvmpipe', plan: c.plan }), acquireDevice({ adapter: 'swiftshader', plan: c.plan })]);
  try {
    const [ea, eb] = await Promise.all([createExecutor(a.device, c.plan, c.sources, c.weights), createExecutor(b.device, c.plan, c.sources, c.weights)]);
    const x = seededValues(M * K, 9);
    const [oa, ob] = await Promise.all([ea.run({ x }), eb.run({ x })]);
    const ref = c.reference(x);
    assertClose(oa.logits, ref.logits, 'llvmpipe logits');
    assertClose(ob.logits, ref.logits, 'SwiftShader logits');
  } finally {
    a.release();
    b.release();
  }
});

test('the device gets the limits a plan needs beyond the defaults', async () => {
  const c = mlpCase();
  const plan: ExecutionPlan = {
    ...c.plan,
    arenaBytes: 300 << 20,
    programs: c.plan.programs.map((p) => ({ ...p, workgroupSize: [256, 1, 1] as const, workgroupBytes: 20000 })),
  };
  // llvmpipe is a compatibility-mode adapter: its devices default to 128 invocations, 16 KiB workgroup memory, 256 MiB buffers.
  const gpu = await acquireDevice({ adapter: 'llvmpipe', plan });
  try {
    assert.ok(gpu.device.limits.maxComputeInvocationsPerWorkgroup >= 256);
    assert.ok(gpu.device.limits.maxComputeWorkgroupSizeX >= 256);
    assert.ok(gpu.device.limits.maxComputeWorkgroupStorageSize >= 20000);
    assert.ok(gpu.device.limits.maxBufferSize >= 300 << 20);
  } finally {
    gpu.release();
  }
  // The autotuner asks for everything the adapter has.
  const max = await acquireDevice({ adapter: 'llvmpipe', maxLimits: true });
  try {
    assert.equal(max.device.limits.maxComputeInvocationsPerWorkgroup, max.fingerprint.limits.maxComputeInvocationsPerWorkgroup);
    assert.equal(max.device.limits.maxBufferSize, max.fingerprint.limits.maxBufferSize);
  } finally {
    max.release();
  }
});

test('a limit or feature the adapter lacks fails with one line naming it', async () => {
  const c = mlpCase();
  const plan: ExecutionPlan = {
    ...c.plan,
    programs: c.plan.programs.map((p) => (p.id === 'bias_act' ? { ...p, id: 'attention_0', workgroupSize: [512, 1, 1] as const } : p)),
    dispatches: c.plan.dispatches.map((d) => (d.program === 'bias_act' ? { ...d, program: 'attention_0' } : d)),
  };
  await assert.rejects(acquireDevice({ adapter: 'swiftshader', plan }), oneLineError(/^program attention_0 needs 512 invocations per workgroup; SwiftShader allows 256$/));
  await assert.rejects(
    acquireDevice({ adapter: 'swiftshader', requiredLimits: { maxComputeWorkgroupStorageSize: 1 << 20 } }),
    oneLineError(/^the caller needs 1048576 bytes of workgroup memory; SwiftShader allows \d+$/),
  );
  await assert.rejects(acquireDevice({ adapter: 'swiftshader', requiredFeatures: ['shader-f16'] }), oneLineError(/^the caller needs feature shader-f16; SwiftShader does not offer it$/));
});

test('SwiftShader is found through Chromium; a wrong override is reported', async () => {
  const icd = findSwiftShaderIcd({ PATH: '' });
  assert.ok(icd && icd.endsWith('vk_swiftshader_icd.json'), `found ${icd}`);
  await assert.rejects(
    acquireDevice({ adapter: 'swiftshader', env: { ...process.env, VITC_SWIFTSHADER_ICD: '/nonexistent/vk_swiftshader_icd.json' } }),
    oneLineError(/^VITC_SWIFTSHADER_ICD names \/nonexistent\/vk_swiftshader_icd\.json, which does not exist$/),
  );
});
