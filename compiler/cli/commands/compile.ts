import { basename, extname } from 'node:path';
import { targetLimitsOf, type TargetLimits, WEBGPU_DEFAULT_LIMITS } from '../../../codegen/schedule/limits.js';
import { acquireDevice } from '../../../runtime/webgpu/adapters.js';
import { writeWebGpuArtifact } from '../../artifact/write-artifact.js';
import { compileWebGpu } from '../../compile-webgpu.js';
import { applyPipeline } from '../apply-pipeline.js';
import { formatCompileStats } from '../compile-stats.js';
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
}

/** `vitc compile MODEL --target webgpu -o DIR`: an artifact folder that runs without vitc. */
export async function compileCommand(model: string, opts: CompileOptions, io: CommandIo): Promise<void> {
  const target = checkTarget(opts.target, COMPILE_TARGETS, 'compile');
  const graph = applyPipeline(loadGraph(model), opts.pipeline, '--pipeline');
  const batch = chooseBatch(graphInputs(graph), opts.batch, undefined);
  switch (target) {
    case 'webgpu': {
      const { limits, from } = opts.adapter ? await adapterLimits(opts.adapter) : { limits: WEBGPU_DEFAULT_LIMITS, from: "WebGPU's defaults" };
      const compiled = compileWebGpu(graph, { batch, limits });
      const { files } = await writeWebGpuArtifact(opts.output, compiled, { modelName: basename(model, extname(model)) });
      if (opts.stats) io.out(formatCompileStats(compiled, batch, from));
      io.err(`wrote ${opts.output} (${files.length} files)\n`);
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
