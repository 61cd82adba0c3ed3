import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { bytesMoved } from '../../codegen/emit-webgpu.js';
import type { Schedule } from '../../codegen/schedule/types.js';
import { compileWebGpu, type WebGpuCompileResult } from '../../compiler/compile-webgpu.js';
import type { Graph } from '../../ir/graph.js';
import { importOnnxFile } from '../../ir/onnx/import.js';
import { Tensor } from '../../ir/tensor.js';
import { compareTensors } from '../../runtime/compare.js';
import { openOrt } from '../../runtime/ort-reference.js';
import { runReference } from '../../runtime/reference/interpreter.js';
import { acquireDevice, type AcquiredDevice } from '../../runtime/webgpu/adapters.js';
import { createExecutor } from '../../runtime/webgpu/executor.js';
import { FIXTURES } from '../helpers/paths.js';
import { applyPipeline } from '../unit/passes/apply.js';
import { randomInputs } from './onnx-check.js';

/*
 * sandwich-fuse on every EfficientViT fixture and lowtention-fuse on every LowFormer fixture:
 * the fused graph matches onnxruntime-node on the reference interpreter and, compiled, on
 * llvmpipe and SwiftShader (allclose rtol 1e-4, atol 1e-5); the compile has fewer dispatches and moves fewer
 * bytes than the unfused one (printed), and the blocks have the kernel structure the passes
 * promise.
 */

const RTOL = 1e-4;
const ATOL = 1e-5;
let llvmpipe: AcquiredDevice;
let swiftshader: AcquiredDevice;
before(async () => {
  llvmpipe = await acquireDevice({ adapter: 'llvmpipe', maxLimits: true, timestamps: false });
  swiftshader = await acquireDevice({ adapter: 'swiftshader', maxLimits: true, timestamps: false });
});
after(() => {
  llvmpipe.release();
  swiftshader.release();
});

function assertClose(what: string, got: ReadonlyMap<string, Tensor>, want: ReadonlyMap<string, Tensor>): void {
  for (const [name, w] of want) {
    const g = got.get(name);
    assert.ok(g, `${what}: no output ${name}`);
    const d = compareTensors(g, w, RTOL, ATOL);
    assert.ok(!d.incompatible && d.mismatches === 0, `${what}: output ${name}: ${d.incompatible ?? `${d.mismatches}/${d.count} differ, max abs ${d.maxAbs}, max rel ${d.maxRel}`}`);
  }
}

async function runOn(on: AcquiredDevice, c: WebGpuCompileResult, inputs: ReadonlyMap<string, Tensor>): Promise<Map<string, Tensor>> {
  const ex = await createExecutor(on.device, c.plan, c.sources, c.weights);
  try {
    const out = await ex.run(Object.fromEntries([...inputs].map(([k, t]) => [k, t.data as Float32Array])));
    return new Map(c.plan.outputs.map((o) => [o.name, new Tensor('f32', [...o.shape], out[o.name] as Float32Array)]));
  } finally {
    ex.destroy();
  }
}

/** Dispatches and bytes moved per inference, as `vitc compile --stats` counts them. */
const traffic = (c: WebGpuCompileResult) => ({ dispatches: c.plan.dispatches.length, bytes: bytesMoved(c) });
const report = (t: { dispatches: number; bytes: number }) => `${t.dispatches} dispatches, ${(t.bytes / 1e6).toFixed(3)} MB moved`;

/** Kernel kinds of the tasks implementing nodes whose names match `block`. */
function blockKinds(c: WebGpuCompileResult, block: RegExp): string[] {
  return c.kernelPlan.tasks.filter((t) => t.nodes.some((n) => block.test(n.name ?? ''))).map((t) => t.workload.kind);
}

async function checkFixture(file: string, pass: string, structure: (before: WebGpuCompileResult, after: WebGpuCompileResult, fused: Graph) => void): Promise<void> {
  const path = join(FIXTURES, file);
  const g = importOnnxFile(path);
  const remarks: string[] = [];
  const fused = applyPipeline(g, `infer-shapes{batch=1},${pass}`, remarks);
  const inputs = randomInputs(fused, 1, 7);
  const ort = await openOrt(path);
  const want = await ort.run(inputs).finally(() => ort.release());
  assertClose(`${file} after ${pass} (reference interpreter)`, runReference(fused, inputs), want);

  const unfusedCompile = compileWebGpu(g);
  const fusedCompile = compileWebGpu(fused);
  assertClose(`${file} after ${pass} (llvmpipe)`, await runOn(llvmpipe, fusedCompile, inputs), want);
  assertClose(`${file} after ${pass} (SwiftShader)`, await runOn(swiftshader, fusedCompile, inputs), want);
  const t0 = traffic(unfusedCompile);
  const t1 = traffic(fusedCompile);
  console.log(`${file} ${pass}: unfused ${report(t0)} → fused ${report(t1)}`);
  assert.ok(t1.dispatches < t0.dispatches && t1.bytes < t0.bytes, `${file}: ${pass} saved nothing (${report(t0)} → ${report(t1)})`);
  structure(unfusedCompile, fusedCompile, fused);
}

for (const m of [0, 1, 2, 3, 4, 5])
  test(`sandwich-fuse on efficientvit_m${m}: matches onnxruntime (reference, llvmpipe, SwiftShader); one kernel per cascaded group attention, two per FFN, one per depthwise conv + residual`, async () => {
    await checkFixture(`efficientvit_m${m}.onnx`, 'sandwich-fuse', (unfused, fused, graph) => {
      assert.ok(!graph.nodes.some((n) => n.op.name === 'batch_norm'), 'a BatchNorm is left');
      const attention = graph.nodes.filter((n) => n.op.name === 'cascaded_attention').length;
      assert.ok(attention > 0);
      // Every sandwich block (the first in each stage after patch merging is one too): dw+res, FFN(2), CGA(+res), dw+res, FFN(2).
      const blocks = new Set(graph.nodes.filter((n) => n.op.name === 'cascaded_attention').map((n) => /stages\.(\d+)\//.exec(n.name ?? '')![1]));
      assert.equal(blocks.size, attention);
      for (const b of blocks) {
        const re = new RegExp(`/stages\\.${b}/`);
        const tasks = fused.kernelPlan.tasks.filter((t) => t.nodes.some((n) => re.test(n.name ?? '')));
        // Where the map was zero-padded to whole windows, the residual add reads the crop of the
        // attention's output in a kernel of its own (the epilogue does not fuse through a crop).
        const padded = tasks.some((t) => t.workload.kind === 'elementwise' && t.nodes.length === 1 && t.nodes[0]!.op.name === 'add');
        const expected = ['reduce', 'matmul', 'matmul', 'cascaded_attention', ...(padded ? ['elementwise'] : []), 'reduce', 'matmul', 'matmul'];
        assert.deepEqual(blockKinds(fused, re), expected, `block ${b}`);
        // Window partition, padding and reverse are indexing: no copy kernel anywhere in the block.
        assert.ok(tasks.every((t) => t.nodes.length > 0));
        assert.ok(blockKinds(unfused, re).length > 7, `block ${b} was already ${blockKinds(unfused, re).length} kernels unfused`);
      }
    });
  });

for (const b of [0, 1])
  test(`lowtention-fuse on lowformer_b${b}: matches onnxruntime (reference, llvmpipe, SwiftShader); stride-s depthwise conv in the QKV kernel, crop in the transposed convolution`, async () => {
    await checkFixture(`lowformer_b${b}.onnx`, 'lowtention-fuse', (unfused, fused, graph) => {
      const kinds = (c: WebGpuCompileResult) => c.kernelPlan.tasks.map((t) => t.workload.kind);
      assert.ok(!graph.nodes.some((n) => n.op.name === 'slice' && graph.producer(n.inputs[0]!)?.op.name === 'conv_transpose'), 'a crop is left after a transposed convolution');
      const ct = graph.nodes.filter((n) => n.op.name === 'conv_transpose');
      assert.ok(ct.length > 0);
      // One transposed-convolution kernel per lowtention, fused with the residual add it feeds.
      assert.equal(kinds(fused).filter((k) => k === 'conv_transpose').length, ct.length);
      const dwpw = kinds(fused).filter((k) => k === 'dw_pointwise').length;
      assert.ok(dwpw >= ct.length, `${dwpw} depthwise+1x1 kernels for ${ct.length} lowtentions`);
      assert.equal(kinds(unfused).filter((k) => k === 'dw_pointwise').length, 0);
    });
  });

/*
 * The structural kernels under schedules other than the defaults: a cascaded attention with
 * several tokens per invocation and a register chunk that divides neither the q/k/v rows nor the
 * channels (clamped rows, guarded stores), in scalar and in vec4 form, and with one token per
 * invocation; a depthwise + 1x1
 * kernel whose token tile is not a whole number of vec4s. Each must still match onnxruntime.
 */
const overridden = (schedule: Record<string, unknown>) => ({
  choose: (w: { kind: string }) => (w.kind === schedule.kind ? { schedule: schedule as unknown as Schedule, source: 'default' as const } : undefined),
});
for (const [file, pass, schedule] of [
  ['efficientvit_m1.onnx', 'sandwich-fuse', { kind: 'cascaded_attention', wg: 8, chunk: 5, vec: 1 }],
  ['efficientvit_m1.onnx', 'sandwich-fuse', { kind: 'cascaded_attention', wg: 16, chunk: 12, vec: 4 }],
  ['efficientvit_m0.onnx', 'sandwich-fuse', { kind: 'cascaded_attention', wg: 64, chunk: 32, vec: 4 }],
  ['lowformer_b0.onnx', 'lowtention-fuse', { kind: 'dw_pointwise', wg: 16, tokens: 2 }],
] as const)
  test(`${pass} on ${file} with schedule ${JSON.stringify(schedule)} matches onnxruntime on llvmpipe`, async () => {
    const path = join(FIXTURES, file);
    const fused = applyPipeline(importOnnxFile(path), `infer-shapes{batch=1},${pass}`);
    const inputs = randomInputs(fused, 1, 11);
    const ort = await openOrt(path);
    const want = await ort.run(inputs).finally(() => ort.release());
    const c = compileWebGpu(fused, overridden(schedule));
    assert.ok(c.kernels.some((k) => JSON.stringify(k.schedule) === JSON.stringify(schedule)), 'the schedule was not used');
    assertClose(`${file} with ${JSON.stringify(schedule)}`, await runOn(llvmpipe, c, inputs), want);
  });
