import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { applyPipeline } from '../../compiler/cli/apply-pipeline.js';
import { loadGraph } from '../../compiler/cli/load-model.js';
import { writeWebGpuArtifact } from '../../compiler/artifact/write-artifact.js';
import { compileCuda, writeCudaArtifact } from '../../compiler/compile-cuda.js';
import { compileWebGpu } from '../../compiler/compile-webgpu.js';
import type { Tensor } from '../../ir/tensor.js';
import { fixtureModels, prepareModel, resolveModels } from './models.js';

/*
 * Packs compiled models for a run on a GPU machine that has no vitc (tests/bench/gpu_check.py runs
 * the CUDA builds there, tests/bench/gpu-wgsl-run.mjs the WebGPU artifacts). Per model, OUT/<name>/
 * holds `vitc compile --target cuda|webgpu` output, a fixed random input per model input
 * (in0.bin, ...) and onnxruntime-node's outputs for it (want0.bin, ...), raw little-endian in the
 * order of the compiled model's inputs and outputs, plus check.json describing them.
 *
 *   node dist/tests/bench/gpu-pack.js [--target cuda|webgpu] [--out DIR] [--pipeline P] [MODEL ...]
 *
 * MODEL defaults to every fixture and vit_ti16; DIR to .gpu/<target>. With --pipeline the passes
 * run first and the folder is named <model>+<first pass> (the reference stays onnxruntime on the
 * original model, so only exact rewrites belong here). WebGPU artifacts use WebGPU's default limits.
 */

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { target: { type: 'string', default: 'cuda' }, out: { type: 'string' }, pipeline: { type: 'string' } },
});
if (values.target !== 'cuda' && values.target !== 'webgpu') throw new Error(`--target: expected cuda or webgpu, got ${values.target}`);
const out = values.out ?? join('.gpu', values.target);
const specs = positionals.length ? positionals : [...fixtureModels().map((f) => f.name), 'vit_ti16'];
const log = (line: string) => process.stderr.write(`${line}\n`);

function bytesOf(t: Tensor): Uint8Array {
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

interface Compiled {
  readonly inputs: readonly { readonly name: string; readonly shape: readonly number[] }[];
  readonly outputs: readonly { readonly name: string; readonly dtype: string; readonly shape: readonly number[] }[];
  readonly launches: number;
  readonly kernels: number;
}

for (const ref of resolveModels(specs, log)) {
  const { model, reference } = await prepareModel(ref, true);
  const graph = applyPipeline(await loadGraph(ref.path), values.pipeline, '--pipeline', { prepare: true, remarks: log });
  const name = values.pipeline ? `${ref.name}+${values.pipeline.split(/[,{]/)[0]!.trim()}` : ref.name;
  const dir = join(out, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  let compiled: Compiled;
  if (values.target === 'cuda') {
    const c = compileCuda(graph, { batch: model.batch });
    writeCudaArtifact(dir, c);
    compiled = { inputs: c.inputs, outputs: c.outputs, launches: c.launches.length, kernels: c.kernels.length };
  } else {
    const c = compileWebGpu(graph, { batch: model.batch });
    await writeWebGpuArtifact(dir, c, { modelName: name });
    compiled = { inputs: c.plan.inputs, outputs: c.plan.outputs, launches: c.plan.dispatches.length, kernels: c.plan.programs.length };
  }
  const inputs = compiled.inputs.map((t, i) => {
    const value = model.inputs.get(t.name);
    if (!value) throw new Error(`${ref.name}: no bench input named ${t.name}`);
    writeFileSync(join(dir, `in${i}.bin`), bytesOf(value));
    return { name: t.name, file: `in${i}.bin`, shape: t.shape };
  });
  const outputs = compiled.outputs.map((t, i) => {
    const want = reference?.get(t.name);
    if (!want) throw new Error(`${ref.name}: onnxruntime gave no output named ${t.name}`);
    writeFileSync(join(dir, `want${i}.bin`), bytesOf(want));
    return { name: t.name, dtype: t.dtype, file: `want${i}.bin`, shape: t.shape };
  });
  const entry = { name, pipeline: values.pipeline ?? null, batch: model.batch, launches: compiled.launches, kernels: compiled.kernels, inputs, outputs };
  writeFileSync(join(dir, 'check.json'), JSON.stringify(entry, null, 1));
  log(`${name}: ${compiled.kernels} kernels, ${compiled.launches} launches`);
}
