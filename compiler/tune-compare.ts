import { summarizeChoices, tunedChooser } from '../codegen/tune/apply.js';
import { deviceFingerprint, type DeviceFingerprint } from '../codegen/tune/fingerprint.js';
import { readRecords, type Warn } from '../codegen/tune/records.js';
import { SeededRandom } from '../codegen/tune/random.js';
import { targetLimitsOf } from '../codegen/schedule/limits.js';
import type { Graph } from '../ir/graph.js';
import { acquireDevice } from '../runtime/webgpu/adapters.js';
import { createExecutor, type Executor, type RunInputs } from '../runtime/webgpu/executor.js';
import { compileWebGpu } from './compile-webgpu.js';
import { dawnVersion } from './tune-versions.js';

/*
 * Whole-model check of a tuning database: the model compiled with the default schedules and
 * with apply-best, both loaded on one device in one process, run alternately (default first in
 * even rounds, tuned first in odd ones, so neither always runs right after the other), each run
 * timed from writing the inputs to reading the outputs. The outputs of both must agree.
 */

export interface CompareOptions {
  readonly graph: Graph;
  readonly adapter: string;
  readonly db: string;
  readonly batch?: number;
  readonly rounds?: number;
  readonly warn?: Warn;
}

export interface CompareResult {
  readonly device: DeviceFingerprint;
  readonly defaultMs: readonly number[];
  readonly tunedMs: readonly number[];
  readonly defaultMedianMs: number;
  readonly tunedMedianMs: number;
  /**
   * Process CPU time per run (user + system, all threads). CPU adapters run their shader threads
   * inside this process, so on a loaded machine this is a steadier measure of the work than
   * wall time (it counts work, not latency).
   */
  readonly defaultCpuMs: readonly number[];
  readonly tunedCpuMs: readonly number[];
  /** Which schedules the tuned compile used ("60 tuned-exact, 6 default"). */
  readonly choices: string;
  /** Largest |tuned - default| over the outputs, relative to the largest |default|. */
  readonly maxRelativeDifference: number;
  readonly batch: number;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export async function compareTuned(opts: CompareOptions): Promise<CompareResult> {
  const acquired = await acquireDevice({ adapter: opts.adapter, maxLimits: true });
  const executors: Executor[] = [];
  try {
    const device = acquired.device;
    const limits = targetLimitsOf(device.limits);
    const fingerprint = deviceFingerprint(acquired.fingerprint, dawnVersion());
    const batch = opts.batch ?? 1;
    const chooser = tunedChooser(readRecords(opts.db, opts.warn), fingerprint, limits);
    const plain = compileWebGpu(opts.graph, { batch, limits });
    const tuned = compileWebGpu(opts.graph, { batch, limits, choose: chooser.choose });
    const [a, b] = await Promise.all([createExecutor(device, plain.plan, plain.sources, plain.weights), createExecutor(device, tuned.plan, tuned.sources, tuned.weights)]);
    executors.push(a, b);
    const rng = new SeededRandom(7);
    const inputs: RunInputs = Object.fromEntries(
      plain.plan.inputs.map((t) => {
        const n = t.shape.reduce((x, y) => x * y, 1);
        return [t.name, t.dtype === 'i32' ? Int32Array.from({ length: n }, () => rng.below(4)) : Float32Array.from({ length: n }, () => rng.uniform(-1, 1))];
      }),
    );
    // Warm-up run of each, and the agreement check.
    const [outA, outB] = [await a.run(inputs), await b.run(inputs)];
    let scale = 0;
    let diff = 0;
    for (const name of Object.keys(outA)) {
      const x = outA[name]!;
      const y = outB[name]!;
      for (let i = 0; i < x.length; i++) {
        scale = Math.max(scale, Math.abs(x[i]!));
        diff = Math.max(diff, Math.abs(x[i]! - y[i]!));
      }
    }
    const defaultMs: number[] = [];
    const tunedMs: number[] = [];
    const defaultCpuMs: number[] = [];
    const tunedCpuMs: number[] = [];
    const timeRun = async (e: Executor, wall: number[], cpu: number[]) => {
      const c = process.cpuUsage();
      const t = performance.now();
      await e.run(inputs);
      wall.push(performance.now() - t);
      const used = process.cpuUsage(c);
      cpu.push((used.user + used.system) / 1000);
    };
    for (let round = 0; round < (opts.rounds ?? 5); round++) {
      if (round % 2 === 0) {
        await timeRun(a, defaultMs, defaultCpuMs);
        await timeRun(b, tunedMs, tunedCpuMs);
      } else {
        await timeRun(b, tunedMs, tunedCpuMs);
        await timeRun(a, defaultMs, defaultCpuMs);
      }
    }
    return {
      device: fingerprint,
      defaultMs,
      tunedMs,
      defaultMedianMs: median(defaultMs),
      tunedMedianMs: median(tunedMs),
      defaultCpuMs,
      tunedCpuMs,
      choices: summarizeChoices(tuned.kernels),
      maxRelativeDifference: scale > 0 ? diff / scale : diff,
      batch,
    };
  } finally {
    for (const e of executors) e.destroy();
    acquired.release();
  }
}

export function formatComparison(c: CompareResult): string {
  const per = (x: number) => (x / c.batch).toFixed(0);
  return [
    `whole model on ${c.device.name}, ${c.defaultMs.length} alternating rounds, batch ${c.batch}:`,
    `  default ${per(c.defaultMedianMs)} ms/img (runs: ${c.defaultMs.map((x) => x.toFixed(0)).join(', ')})`,
    `  tuned   ${per(c.tunedMedianMs)} ms/img (runs: ${c.tunedMs.map((x) => x.toFixed(0)).join(', ')})`,
    `  process CPU time: default ${per(median(c.defaultCpuMs))} ms/img, tuned ${per(median(c.tunedCpuMs))} ms/img (${(median(c.defaultCpuMs) / median(c.tunedCpuMs)).toFixed(2)}×)`,
    `  speed-up ${(c.defaultMedianMs / c.tunedMedianMs).toFixed(2)}×; kernels: ${c.choices}; outputs agree to ${c.maxRelativeDifference.toExponential(1)} (relative)`,
  ].join('\n');
}
