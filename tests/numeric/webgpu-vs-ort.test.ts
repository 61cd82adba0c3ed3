import assert from 'node:assert/strict';
import { relative } from 'node:path';
import { after, before, test } from 'node:test';
import { compileWebGpu, type WebGpuCompileResult } from '../../compiler/compile-webgpu.js';
import { importOnnxFile } from '../../ir/onnx/import.js';
import { Tensor } from '../../ir/tensor.js';
import { compareTensors } from '../../runtime/compare.js';
import { openOrt } from '../../runtime/ort-reference.js';
import { acquireDevice, type AcquiredDevice } from '../../runtime/webgpu/adapters.js';
import { createExecutor, type Executor, type RunInputs } from '../../runtime/webgpu/executor.js';
import { fixtureModels } from '../helpers/fixture-models.js';
import { FIXTURES } from '../helpers/paths.js';
import { randomInputs } from './onnx-check.js';

/*
 * Every fixture model, compiled once per batch size for WebGPU (default limits, so one plan serves
 * both adapters), runs on llvmpipe and SwiftShader side by side on one device each and matches
 * onnxruntime-node on seeded N(0, 1) inputs: allclose with rtol 1e-4, atol 1e-5 × max(1, max |output|).
 */

const ADAPTERS = ['llvmpipe', 'swiftshader'] as const;
type Adapter = (typeof ADAPTERS)[number];
const RTOL = 1e-4;
const ATOL = 1e-5;

/**
 * The absolute tolerance grows with the output's magnitude (never below ATOL): a logit of 0.4 in
 * a vector reaching 23 (EfficientViT-M1's random weights) carries the rounding of 23-sized sums,
 * and onnxruntime's own optimization levels disagree by 6e-5 there.
 */
function outputScale(t: Tensor): number {
  let m = 1;
  for (const v of t.data) m = Math.max(m, Math.abs(Number(v)));
  return m;
}

const models = fixtureModels();
const devices = new Map<Adapter, AcquiredDevice>();
/**
 * Finished executors stay referenced (their buffers freed) until the end: Dawn reuses a pipeline
 * for identical WGSL only while the earlier one is alive, and the fixtures share many programs
 * (static, dynamic and external-data exports of one ViT), which SwiftShader compiles slowly.
 */
const finished: Executor[] = [];

before(async () => {
  // A missing adapter fails every test here: these checks are never skipped.
  for (const adapter of ADAPTERS) devices.set(adapter, await acquireDevice({ adapter, maxLimits: true, timestamps: false }));
});
after(() => {
  finished.length = 0;
  for (const d of devices.values()) d.release();
});

test('the fixtures include ONNX models, the external-data one among them', () => {
  assert.ok(models.length > 0, `no .onnx files under ${FIXTURES}`);
  assert.ok(models.some((m) => relative(FIXTURES, m) === 'vit_external/model.onnx'), 'vit_external/model.onnx is missing');
});

/** Runs the compiled model on one adapter; returns a line per output that differs from the reference. */
async function differences(adapter: Adapter, compiled: WebGpuCompileResult, feeds: RunInputs, expected: ReadonlyMap<string, Tensor>): Promise<string[]> {
  const executor = await createExecutor(devices.get(adapter)!.device, compiled.plan, compiled.sources, compiled.weights);
  try {
    const outputs = await executor.run(feeds);
    const problems: string[] = [];
    for (const [name, want] of expected) {
      const got = outputs[name];
      if (!(got instanceof Float32Array) || got.length !== want.size) {
        problems.push(`${adapter}: output ${name} is ${got ? `${got.constructor.name} of ${got.length}` : 'missing'}, expected ${want.size} f32 values`);
        continue;
      }
      const d = compareTensors(new Tensor('f32', want.shape, got), want, RTOL, ATOL * outputScale(want));
      if (d.incompatible || d.mismatches > 0) {
        problems.push(`${adapter}: output ${name}: ${d.incompatible ?? `${d.mismatches}/${d.count} elements differ, max abs ${d.maxAbs}, max rel ${d.maxRel}`}`);
      }
    }
    return problems;
  } finally {
    executor.destroy();
    finished.push(executor);
  }
}

for (const path of models) {
  const name = relative(FIXTURES, path);
  test(`${name}: compiled WebGPU kernels match onnxruntime on llvmpipe and SwiftShader`, async () => {
    const g = importOnnxFile(path);
    const dynamic = g.inputs.some((v) => v.type.shape.some((d) => typeof d !== 'number'));
    const ort = await openOrt(path);
    try {
      for (const batch of dynamic ? [1, 2] : [1]) {
        const compiled = compileWebGpu(g, { batch });
        const inputs = randomInputs(g, batch, 1234 + batch);
        const expected = await ort.run(inputs);
        const feeds: RunInputs = Object.fromEntries([...inputs].map(([k, t]) => [k, t.data as Float32Array]));
        const problems = (await Promise.all(ADAPTERS.map((a) => differences(a, compiled, feeds, expected)))).flat();
        assert.deepEqual(problems, [], `${name} at batch ${batch} differs from onnxruntime (rtol ${RTOL}, atol ${ATOL} × output scale)`);
      }
    } finally {
      await ort.release();
    }
  });
}
