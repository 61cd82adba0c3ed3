import { basename, extname } from 'node:path';
import { VitcError } from '../../../ir/errors.js';
import { targetLimitsOf, type TargetLimits, WEBGPU_DEFAULT_LIMITS } from '../../../codegen/schedule/limits.js';
import { acquireDevice } from '../../../runtime/webgpu/adapters.js';
import { writeWebGpuArtifact } from '../../artifact/write-artifact.js';
import { compileWebGpu } from '../../compile-webgpu.js';
import { applyPipeline } from '../apply-pipeline.js';
import { cudaStats, formatCompileStats, webGpuStats } from '../compile-stats.js';
import type { CommandIo } from '../io.js';
import { loadGraph } from '../load-model.js';
import { checkTarget, COMPILE_TARGETS } from '../targets.js';
import { chooseBatch, graphInputs } from '../tensor-specs.js';

export interface CompileOptions {
  readonly target: string;
  readonly output: string;
  readonly batch?: number;
  /** Compile for this adapter's limits; absent: WebGPU's default limits (runs on any device). */
  readonly adapter?: string;
  readonly pipeline?: string;
  readonly stats?: boolean;
  readonly calib?: string;
}

/**
 * `vitc compile MODEL --target webgpu|cuda -o DIR`: an artifact folder that runs without vitc
 * (WebGPU: an ES module for Node and the browser; CUDA: .cu kernels, a host launcher, weights).
 */
export async function compileCommand(model: string, opts: CompileOptions, io: CommandIo): Promise<void> {
  const target = checkTarget(opts.target, COMPILE_TARGETS, 'compile');
  const graph = applyPipeline(await loadGraph(model), opts.pipeline, '--pipeline', opts.calib ? { calib: opts.calib } : {});
  const batch = chooseBatch(graphInputs(graph), opts.batch, undefined);
  const name = basename(model, extname(model));
  switch (target) {
    case 'webgpu': {
      const { limits, from } = opts.adapter ? await adapterLimits(opts.adapter) : { limits: WEBGPU_DEFAULT_LIMITS, from: "WebGPU's defaults" };
      const compiled = compileWebGpu(graph, { batch, limits });
      const { files } = await writeWebGpuArtifact(opts.output, compiled, { modelName: name });
      if (opts.stats) io.out(formatCompileStats(webGpuStats(name, compiled, from)));
      io.err(`wrote ${opts.output} (${files.length} files)\n`);
      return;
    }
    case 'cuda': {
      if (opts.adapter !== undefined) throw new VitcError('selects a WebGPU adapter; it does not apply to --target cuda', { context: '--adapter' });
      const [{ compileCuda }, { writeCudaFolder }] = await Promise.all([import('../../compile-cuda.js'), import('../../artifact/write-cuda-folder.js')]);
      const compiled = compileCuda(graph, { batch });
      const files = writeCudaFolder(opts.output, compiled);
      if (opts.stats) io.out(formatCompileStats(cudaStats(name, compiled)));
      io.err(`wrote ${opts.output} (${files.length} files; build with the commands in its manifest.json)\n`);
      return;
    }
  }
}

async function adapterLimits(adapter: string): Promise<{ limits: TargetLimits; from: string }> {
  const acquired = await acquireDevice({ adapter, maxLimits: true });
  try {
    return { limits: targetLimitsOf(acquired.fingerprint.limits), from: `${acquired.fingerprint.name} (${acquired.fingerprint.backend})` };
  } finally {
    acquired.release();
  }
}
