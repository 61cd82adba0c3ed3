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
import { randomPatches, splitTau, tinyVit, type TinyVitSpec } from '../../helpers/tiny-vit.js';
import { randomInputs } from '../passes/numerics.js';
import { buildEmulated } from './emulate.js';
import { assertCompilesWithoutSpills, CUDA_ARCHS, requireNvcc, runCommand } from './toolchain.js';

/*
 * The token-reduction kernels (attention with class-token statistics, top_k, gather,
 * scatter_add) in CUDA: they compile with nvcc for sm_80 and sm_90 without spills, and the
 * generated build, emulated on the CPU, matches the reference interpreter under the same pass.
 */

const work = mkdtempSync(join(tmpdir(), 'vitc-cuda-tokens-'));
after(() => rmSync(work, { recursive: true, force: true }));

const withPass = (g: Graph, p: string) => runPipeline(g, parsePipeline(`fold-constants,canonicalize,fuse-attention,${p}`)).graph;

interface Case {
  readonly what: string;
  readonly graph: Graph;
  readonly input: Tensor;
}

function cases(): Case[] {
  // A batch of four in which block 0 pools two images and prunes the other two.
  const spec: TinyVitSpec = { patches: 16, dim: 16, heads: 2, blocks: 3, classes: 5, batch: 'N', seed: 12 };
  const model = tinyVit(spec);
  const { input, images } = randomPatches(spec, 4, 13);
  const ppt = withPass(model.graph, `ppt{layers=0,2 r=3 tau=${splitTau(model, images, 0, 3)}}`);
  const mnist = withPass(importOnnxFile(join(FIXTURES, 'mnist_vit.onnx')), 'tome{r=3}');
  const vit = withPass(importOnnxFile(join(FIXTURES, 'vit_op17_b2.onnx')), 'ppt{layers=0,1 r=4 tau=1e-3}');
  return [
    { what: 'tiny ViT ppt (pool and prune in one batch)', graph: ppt, input },
    { what: 'mnist_vit tome{r=3}', graph: mnist, input: randomInputs(mnist, 3, 2).get('x')! },
    { what: 'vit_op17_b2 ppt', graph: vit, input: randomInputs(vit, 4).get('x')! },
  ];
}

const TOKEN_KINDS = ['attention', 'top_k', 'gather', 'scatter_add'];

function build(c: Case, dir: string): CudaCompileResult {
  const compiled = compileCuda(c.graph, { batch: c.input.shape[0]! });
  writeCudaArtifact(dir, compiled);
  return compiled;
}

test('token-reduction kernels compile with nvcc for sm_80 and sm_90 without errors or spills', async (t) => {
  if (!requireNvcc(t)) return;
  for (const [i, c] of cases().entries()) {
    const dir = join(work, `nvcc${i}`);
    const compiled = build(c, dir);
    const kinds = new Set(compiled.kernels.map((k) => k.name.replace(/_[0-9a-f]+$/, '')));
    for (const kind of TOKEN_KINDS) assert.ok(kinds.has(kind), `${c.what}: no ${kind} kernel among ${[...kinds].join(', ')}`);
    await assertCompilesWithoutSpills(dir, compiled.kernels.map((k) => k.name), c.what);
    t.diagnostic(`${c.what}: ${compiled.kernels.length} kernels, no spills on ${CUDA_ARCHS.join(', ')}`);
  }
});

test('the CUDA build with token reduction, emulated on the CPU, matches the reference interpreter', async (t) => {
  for (const [i, c] of cases().entries()) {
    const dir = join(work, `emu${i}`);
    const compiled = build(c, dir);
    const exe = await buildEmulated(dir, ['kernels.cu', 'launcher.cu', 'run_model.cu'], 'run_model');
    const data = c.input.data as Float32Array;
    writeFileSync(join(dir, 'input0.bin'), new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    const outputs = compiled.outputs.map((_, k) => join(dir, `output${k}.bin`));
    const run = await runCommand(exe, [join(dir, 'weights.bin'), join(dir, 'input0.bin'), ...outputs]);
    assert.equal(run.code, 0, `${c.what}: run_model failed:\n${run.output}`);
    const expected = runReference(c.graph, new Map([[c.graph.inputs[0]!.name!, c.input]]));
    compiled.outputs.forEach((io, k) => {
      const bytes = readFileSync(outputs[k]!);
      const actual = new Tensor('f32', io.shape, new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)));
      const d = compareTensors(actual, expected.get(io.name)!, 1e-4, 1e-5);
      t.diagnostic(`${c.what}: ${io.name} max |diff| ${d.maxAbs.toExponential(2)}`);
      assert.equal(d.incompatible, undefined, `${c.what}: ${io.name}: ${d.incompatible}`);
      assert.equal(d.mismatches, 0, `${c.what}: ${io.name}: ${d.mismatches} of ${d.count} elements differ (max |diff| ${d.maxAbs})`);
    });
  }
});
