import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { compileCuda, type CudaCompileResult, writeCudaArtifact } from '../../../compiler/compile-cuda.js';
import { runPipeline } from '../../../compiler/pass-manager.js';
import { parsePipeline } from '../../../compiler/pipeline.js';
import type { Graph } from '../../../ir/graph.js';
import { importOnnxFile } from '../../../ir/onnx/import.js';
import { Tensor } from '../../../ir/tensor.js';
import { compareTensors } from '../../../runtime/compare.js';
import { runReference } from '../../../runtime/reference/interpreter.js';
import { FIXTURES } from '../../helpers/paths.js';
import { randomInputs } from '../passes/numerics.js';
import { buildEmulated } from './emulate.js';
import { assertCompilesWithoutSpills, CUDA_ARCHS, requireNvcc, runCommand } from './toolchain.js';

/*
 * The structural kernels (cascaded_attention from sandwich-fuse, dw_pointwise and the cropped
 * conv_transpose from lowtention-fuse) in CUDA: the fused EfficientViT-M4/M5 (the widest heads)
 * and LowFormer-B0 fixtures compile with nvcc for sm_80 and sm_90 without spills, and the
 * generated build, emulated on the CPU, matches the reference interpreter on the fused graph.
 */

const work = mkdtempSync(join(tmpdir(), 'vitc-cuda-structural-'));
after(() => rmSync(work, { recursive: true, force: true }));

const fused = (file: string, pass: string): Graph =>
  runPipeline(importOnnxFile(join(FIXTURES, file)), parsePipeline(`infer-shapes{batch=1},${pass}`)).graph;

const CASES = [
  { file: 'efficientvit_m4.onnx', pass: 'sandwich-fuse', kind: 'cascaded_attention' },
  { file: 'efficientvit_m5.onnx', pass: 'sandwich-fuse', kind: 'cascaded_attention' },
  { file: 'lowformer_b0.onnx', pass: 'lowtention-fuse', kind: 'dw_pointwise' },
] as const;

function build(graph: Graph, dir: string): CudaCompileResult {
  const compiled = compileCuda(graph, { batch: 1 });
  writeCudaArtifact(dir, compiled);
  return compiled;
}

test('structural kernels compile with nvcc for sm_80 and sm_90 without errors or spills', async (t) => {
  if (!requireNvcc(t)) return;
  for (const [i, c] of CASES.entries()) {
    const dir = join(work, `nvcc${i}`);
    const compiled = build(fused(c.file, c.pass), dir);
    assert.ok(compiled.kernels.some((k) => k.name.startsWith(c.kind)), `${c.file}: no ${c.kind} kernel`);
    await assertCompilesWithoutSpills(dir, compiled.kernels.map((k) => k.name), c.file);
    t.diagnostic(`${c.file} ${c.pass}: ${compiled.kernels.length} kernels, no spills on ${CUDA_ARCHS.join(', ')}`);
  }
});

test('the CUDA build of the fused EfficientViT-M4 and LowFormer-B0, emulated on the CPU, matches the reference interpreter', async (t) => {
  for (const [i, c] of [CASES[0], CASES[2]].entries()) {
    const dir = join(work, `emu${i}`);
    const graph = fused(c.file, c.pass);
    const compiled = build(graph, dir);
    const exe = await buildEmulated(dir, ['kernels.cu', 'launcher.cu', 'run_model.cu'], 'run_model');
    const inputs = randomInputs(graph, 1, 5);
    const input = inputs.get(graph.inputs[0]!.name!)!;
    const data = input.data as Float32Array;
    writeFileSync(join(dir, 'input0.bin'), new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    const outputs = compiled.outputs.map((_, k) => join(dir, `output${k}.bin`));
    const run = await runCommand(exe, [join(dir, 'weights.bin'), join(dir, 'input0.bin'), ...outputs]);
    assert.equal(run.code, 0, `${c.file}: run_model failed:\n${run.output}`);
    const expected = runReference(graph, inputs);
    compiled.outputs.forEach((io, k) => {
      const bytes = readFileSync(outputs[k]!);
      const actual = new Tensor('f32', io.shape, new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)));
      const d = compareTensors(actual, expected.get(io.name)!, 1e-4, 1e-5);
      t.diagnostic(`${c.file}: ${io.name} max |diff| ${d.maxAbs.toExponential(2)}`);
      assert.equal(d.incompatible, undefined, `${c.file}: ${io.name}: ${d.incompatible}`);
      assert.equal(d.mismatches, 0, `${c.file}: ${io.name}: ${d.mismatches} of ${d.count} elements differ (max |diff| ${d.maxAbs})`);
    });
  }
});
