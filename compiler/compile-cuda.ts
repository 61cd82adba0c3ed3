import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CudaModel, emitCuda } from '../codegen/cuda/emit.js';
import { renderCudaHost } from '../codegen/cuda/host.js';
import { type ScheduleChooser, sha256 } from '../codegen/emit-webgpu.js';
import { sharedBytes } from '../codegen/kernel-ir/types.js';
import { planKernels } from '../codegen/plan/planner.js';
import type { KernelPlan } from '../codegen/plan/types.js';
import { renderCudaKernels } from '../codegen/render/cuda.js';
import type { Graph } from '../ir/graph.js';
import { loweringPipeline } from './lowering-pipeline.js';
import { runPipeline } from './pass-manager.js';
import { parsePipeline } from './pipeline.js';

export const CUDA_ARTIFACT_FORMAT = 'vitc-cuda-artifact/1';

export interface CudaCompileOptions {
  /** The batch size the kernels are specialised for (the symbolic batch is bound to it). */
  readonly batch?: number;
  readonly choose?: ScheduleChooser;
}

export interface CudaCompileResult extends CudaModel {
  /** The graph the kernels implement (after the lowering passes). */
  readonly graph: Graph;
  readonly kernelPlan: KernelPlan;
  readonly batch: number;
  /** The artifact folder's files by name: sources, weights.bin and manifest.json. */
  readonly files: ReadonlyMap<string, string | Uint8Array>;
}

/** Graph → lowering passes → fused kernels → CUDA C kernels, host launcher and weights image. */
export function compileCuda(g: Graph, opts: CudaCompileOptions = {}): CudaCompileResult {
  const batch = opts.batch ?? 1;
  const graph = runPipeline(g, parsePipeline(loweringPipeline(batch))).graph;
  const kernelPlan = planKernels(graph);
  const model = emitCuda(kernelPlan, opts.choose ? { choose: opts.choose } : {});
  const files = new Map<string, string | Uint8Array>([['kernels.cu', renderCudaKernels(model.kernels, { file: 'kernels.cu', model: model.name })], ...Object.entries(renderCudaHost(model))]);
  files.set('weights.bin', model.weightsImage);
  files.set('manifest.json', JSON.stringify(manifest(model, batch, files), null, 1));
  return { ...model, graph, kernelPlan, batch, files };
}

/** What a user (or a loader) needs to know without reading the sources. */
function manifest(m: CudaModel, batch: number, files: ReadonlyMap<string, string | Uint8Array>) {
  const io = (t: CudaModel['inputs'][number]) => ({ name: t.name, dtype: t.dtype, shape: t.shape, region: t.slice.region, offset: t.slice.offset, bytes: t.bytes });
  return {
    format: CUDA_ARTIFACT_FORMAT,
    model: m.name,
    batch,
    files: Object.fromEntries([...files].map(([name, content]) => [name, sha256(content)])),
    build: {
      sharedLibrary: 'nvcc -O3 -arch=sm_80 -shared -Xcompiler -fPIC kernels.cu launcher.cu -o libvitc_model.so',
      runner: 'nvcc -O3 -arch=sm_80 kernels.cu launcher.cu run_model.cu -o run_model',
    },
    memory: { alignment: m.memory.alignment, weightsBytes: m.memory.weightsBytes, arenaBytes: m.memory.arenaBytes, ioBytes: m.memory.ioBytes, arenaLowerBound: m.memory.arenaLowerBound },
    weights: { file: 'weights.bin', tensors: m.weights },
    inputs: m.inputs.map(io),
    outputs: m.outputs.map(io),
    kernels: m.kernels.map((k) => ({ name: k.name, block: k.workgroupSize, sharedBytes: sharedBytes(k) })),
    launches: m.launches.map((l) => ({ kernel: l.kernel, grid: l.grid, block: l.block, label: l.label, args: l.args.map(({ region, offset, size }) => ({ region, offset, size })) })),
    tasks: m.tasks,
  };
}

/** Writes a compiled CUDA model into `dir` (created if missing): what `vitc compile --target cuda -o DIR` produces. */
export function writeCudaArtifact(dir: string, compiled: Pick<CudaCompileResult, 'files'>): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, content] of compiled.files) writeFileSync(join(dir, name), content);
}
