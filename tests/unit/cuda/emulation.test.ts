import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { compileCuda, writeCudaArtifact } from '../../../compiler/compile-cuda.js';
import { importOnnxFile } from '../../../ir/onnx/import.js';
import { Tensor } from '../../../ir/tensor.js';
import { compareTensors } from '../../../runtime/compare.js';
import { runReference } from '../../../runtime/reference/interpreter.js';
import { FIXTURES } from '../../helpers/paths.js';
import { randomFloats, rng } from '../../helpers/random.js';
import { buildEmulated } from './emulate.js';
import { runCommand } from './toolchain.js';

/**
 * The generated CUDA build of a model (kernels.cu, launcher.cu, run_model.cu, weights.bin), compiled
 * by g++ against the CPU emulation of CUDA and run as a user would run it, must match the reference
 * interpreter. Covers every kernel class, barriers and shared memory included. Two models by
 * default (g++ dominates the time); VITC_CUDA_EMULATE_ALL=1 runs every fixture.
 */
const DEFAULT_MODELS: readonly [string, number][] = [
  ['vit_op17_b2.onnx', 2], // ViT: patch conv, LayerNorm prologue (barriers), attention, batch 2
  ['swin_op17_b1.onnx', 1], // Swin: window partitions, shifted windows, row kernels, reductions
];
const ALL_MODELS: readonly [string, number][] = [
  ...DEFAULT_MODELS,
  ['vit_op13_b1.onnx', 1],
  ['vit_op13_b2.onnx', 2],
  ['vit_op17_b1.onnx', 1],
  ['vit_op13_dyn.onnx', 2],
  ['vit_op17_dyn.onnx', 3],
  ['mnist_vit.onnx', 2],
  ['swin_op13_b2.onnx', 2],
  ['swinv2_op17_b1.onnx', 1],
  ['maxvit_op17_b1.onnx', 1],
  ['vit_external/model.onnx', 1],
];
const MODELS = process.env.VITC_CUDA_EMULATE_ALL === '1' ? ALL_MODELS : DEFAULT_MODELS;

for (const [file, batch] of MODELS)
  test(`CUDA build of ${file} (batch ${batch}) emulated on the CPU matches the reference interpreter`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'vitc-cuda-emu-'));
    try {
      const g = importOnnxFile(join(FIXTURES, file));
      const compiled = compileCuda(g, { batch });
      writeCudaArtifact(dir, compiled);
      const exe = await buildEmulated(dir, ['kernels.cu', 'launcher.cu', 'run_model.cu'], 'run_model');

      const r = rng(batch * 7919 + file.length);
      const inputs = new Map(compiled.inputs.map((io) => [io.name, new Tensor('f32', io.shape, randomFloats(r, io.shape.reduce((a, b) => a * b, 1), 2))]));
      const inputFiles = compiled.inputs.map((io, i) => {
        const data = inputs.get(io.name)!.data as Float32Array;
        const path = join(dir, `input${i}.bin`);
        writeFileSync(path, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
        return path;
      });
      const outputFiles = compiled.outputs.map((_, i) => join(dir, `output${i}.bin`));
      const run = await runCommand(exe, [join(dir, 'weights.bin'), ...inputFiles, ...outputFiles]);
      assert.equal(run.code, 0, `run_model failed:\n${run.output}`);

      const expected = runReference(g, inputs);
      compiled.outputs.forEach((io, i) => {
        const bytes = readFileSync(outputFiles[i]!);
        const actual = new Tensor('f32', io.shape, new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)));
        const want = expected.get(io.name)!;
        const d = compareTensors(actual, want, 1e-4, 1e-5);
        t.diagnostic(`${io.name}: max |diff| ${d.maxAbs.toExponential(2)}, max rel ${d.maxRel.toExponential(2)}`);
        assert.equal(d.incompatible, undefined, `${io.name}: ${d.incompatible}`);
        assert.equal(d.mismatches, 0, `${io.name}: ${d.mismatches} of ${d.count} elements differ (max |diff| ${d.maxAbs})`);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
