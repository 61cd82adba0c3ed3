import { basename, extname } from 'node:path';
import { VitcError } from '../../../ir/errors.js';
import type { ScheduleChooser } from '../../../codegen/emit-webgpu.js';
import { targetLimitsOf, type TargetLimits, WEBGPU_DEFAULT_LIMITS } from '../../../codegen/schedule/limits.js';
import { tunedChooser } from '../../../codegen/tune/apply.js';
import { deviceFingerprint } from '../../../codegen/tune/fingerprint.js';
import { readRecords } from '../../../codegen/tune/records.js';
import { acquireDevice } from '../../../runtime/webgpu/adapters.js';
import { writeWebGpuArtifact } from '../../artifact/write-artifact.js';
import { compileWebGpu } from '../../compile-webgpu.js';
import { applyPipeline } from '../apply-pipeline.js';
import { cudaStats, formatCompileStats, webGpuStats } from '../compile-stats.js';
import type { CommandIo } from '../io.js';
import { writingOutput } from '../output-files.js';
import { loadGraph } from '../load-model.js';
import { checkTarget, COMPILE_TARGETS } from '../targets.js';
import { chooseBatch, graphInputs } from '../tensor-specs.js';
import { dawnVersion } from '../../tune-versions.js';
import { formatTuningChoices } from '../tuning-choices.js';

export interface CompileOptions {
  readonly target: string;
  readonly output: string;
  readonly batch?: number;
  /** Compile for this adapter's limits; absent: WebGPU's default limits (runs on any device). */
  readonly adapter?: string;
  readonly pipeline?: string;
  readonly stats?: boolean;
  /** Tuning records database: schedules per kernel from the exact device, else the nearest, else the default. */
  readonly tuningDb?: string;
}

/**
 * `vitc compile MODEL --target webgpu|cuda -o DIR`: an artifact folder that runs without vitc
 * (WebGPU: an ES module for Node and the browser; CUDA: .cu kernels, a host launcher, weights).
 */
export async function compileCommand(model: string, opts: CompileOptions, io: CommandIo): Promise<void> {
  const target = checkTarget(opts.target, COMPILE_TARGETS, 'compile');
  const graph = applyPipeline(await loadGraph(model), opts.pipeline, '--pipeline', { prepare: true, remarks: io.err });
  const batch = chooseBatch(graphInputs(graph), opts.batch, undefined);
  const name = basename(model, extname(model));
  switch (target) {
    case 'webgpu': {
      // The tuning database is keyed by device, so it needs one: --adapter, else the one auto picks.
      const adapter = opts.adapter ?? (opts.tuningDb ? 'auto' : undefined);
      const { limits, from, choose, report } = adapter ? await adapterSetup(adapter, opts.tuningDb, io) : { limits: WEBGPU_DEFAULT_LIMITS, from: "WebGPU's defaults", choose: undefined, report: undefined };
      const compiled = compileWebGpu(graph, { batch, limits, ...(choose ? { choose } : {}) });
      const { files } = await writingOutput(opts.output, () => writeWebGpuArtifact(opts.output, compiled, { modelName: name }));
      if (opts.stats) io.out(formatCompileStats(webGpuStats(name, compiled, from)));
      if (report) io.err(report(compiled.kernels));
      io.err(`wrote ${opts.output} (${files.length} files)\n`);
      return;
    }
    case 'cuda': {
      if (opts.adapter !== undefined) throw new VitcError('selects a WebGPU adapter; it does not apply to --target cuda', { context: '--adapter' });
      if (opts.tuningDb !== undefined) throw new VitcError('holds WebGPU tuning records; it does not apply to --target cuda', { context: '--tuning-db' });
      const [{ compileCuda }, { writeCudaFolder }] = await Promise.all([import('../../compile-cuda.js'), import('../../artifact/write-cuda-folder.js')]);
      const compiled = compileCuda(graph, { batch });
      const files = await writingOutput(opts.output, () => writeCudaFolder(opts.output, compiled));
      if (opts.stats) io.out(formatCompileStats(cudaStats(name, compiled)));
      io.err(`wrote ${opts.output} (${files.length} files; build with the commands in its manifest.json)\n`);
      return;
    }
  }
}

interface AdapterSetup {
  readonly limits: TargetLimits;
  readonly from: string;
  readonly choose: ScheduleChooser | undefined;
  /** The per-kernel tuning report, when a database was given. */
  readonly report: ((kernels: Parameters<typeof formatTuningChoices>[0]) => string) | undefined;
}

/** The adapter's limits and, with a tuning database, the chooser keyed by the adapter's fingerprint. */
async function adapterSetup(adapter: string, tuningDb: string | undefined, io: CommandIo): Promise<AdapterSetup> {
  const acquired = await acquireDevice({ adapter, maxLimits: true });
  try {
    const limits = targetLimitsOf(acquired.fingerprint.limits);
    const from = `${acquired.fingerprint.name} (${acquired.fingerprint.backend})`;
    if (!tuningDb) return { limits, from, choose: undefined, report: undefined };
    const device = deviceFingerprint(acquired.fingerprint, dawnVersion());
    const records = readRecords(tuningDb, (m) => io.err(`warning: ${m}\n`));
    const chooser = tunedChooser(records, device, limits);
    return { limits, from, choose: chooser.choose, report: (kernels) => formatTuningChoices(kernels, chooser.applied, device, tuningDb) };
  } finally {
    acquired.release();
  }
}
