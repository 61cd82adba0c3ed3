import { workloadKey } from '../emit-webgpu.js';
import type { KernelPlan, PlanBuffer } from '../plan/types.js';
import type { Schedule } from '../schedule/types.js';
import type { Workload } from '../workload/types.js';
import type { DeviceFingerprint } from './fingerprint.js';

/*
 * Tuning jobs: one per unique workload of a model. Plain JSON, so that a queue could hand them to
 * workers on other machines later (a worker measures a job on its device and appends records).
 */

export type Region = 'weights' | 'arena' | 'io';

/** How the model binds one operand (or the output): equal slots are the same tensor. */
export interface BindingSlot {
  readonly slot: number;
  readonly region: Region;
}

export interface TuneJob {
  readonly format: 'vitc-tune-job/1';
  /** The workload key (hash of its canonical form). */
  readonly key: string;
  readonly workload: Workload;
  /**
   * Operands then the output, as the model's first task of this workload binds them: operands
   * reading one tensor share a binding and operands in the output's buffer are writable, which
   * changes the kernel (and its speed), so candidates are measured bound the same way.
   */
  readonly bindings: readonly BindingSlot[];
  /** Names of the model's tasks that run this workload. */
  readonly tasks: readonly string[];
}

/** What a worker needs besides the job: where to measure, how long, what to start from. */
export interface TuneRequest {
  readonly job: TuneJob;
  readonly device: DeviceFingerprint;
  readonly maxTrials: number;
  /** Wall-clock seconds for this job (measurements in flight finish). */
  readonly seconds: number;
  /** Schedules to try first (the best of the nearest device's records). */
  readonly seeds: readonly Schedule[];
  /** Keys of schedules already measured on this exact device (--resume): not measured again. */
  readonly skip: readonly string[];
  readonly seed: number;
}

function regionOf(b: PlanBuffer): Region {
  return b.kind === 'weight' ? 'weights' : b.kind === 'temp' ? 'arena' : 'io';
}

/** One job per unique workload key, in the order the model first runs them. */
export function tuneJobs(plan: KernelPlan): TuneJob[] {
  const jobs = new Map<string, { workload: Workload; bindings: BindingSlot[]; tasks: string[] }>();
  for (const task of plan.tasks) {
    const key = workloadKey(task.workload);
    const known = jobs.get(key);
    if (known) {
      known.tasks.push(task.name);
      continue;
    }
    const buffers = [...task.operands, task.output];
    const distinct = [...new Set(buffers)];
    const bindings = buffers.map((b) => ({ slot: distinct.indexOf(b), region: regionOf(b) }));
    jobs.set(key, { workload: task.workload, bindings, tasks: [task.name] });
  }
  return [...jobs].map(([key, j]) => ({ format: 'vitc-tune-job/1', key, workload: j.workload, bindings: j.bindings, tasks: j.tasks }));
}

/** Bindings when a workload is tuned alone: every operand its own read-only tensor. */
export function separateBindings(w: Workload): BindingSlot[] {
  return [...w.operands.map((_, i) => ({ slot: i, region: 'weights' as const })), { slot: w.operands.length, region: 'arena' as const }];
}

export function jobFor(w: Workload, tasks: readonly string[] = []): TuneJob {
  return { format: 'vitc-tune-job/1', key: workloadKey(w), workload: w, bindings: separateBindings(w), tasks };
}

/** Storage buffers the kernel binds (operands sharing a tensor share a binding). */
export function storageBuffersOf(job: TuneJob): number {
  return new Set(job.bindings.map((b) => b.slot)).size;
}

/** A short description of a workload for tables and plots ("matmul 197×576×192 +ln"). */
export function describeWorkload(w: Workload): string {
  const x = (xs: readonly number[]) => xs.join('×');
  switch (w.kind) {
    case 'matmul':
      return `matmul ${w.batch.length ? `${x(w.batch)}·` : ''}${w.m}×${w.n}×${w.k}${w.prologue ? ' +ln' : ''}`;
    case 'elementwise':
      return `elementwise ${x(w.shape)}`;
    case 'row':
      return `${w.op} ${w.rows}×${w.cols}`;
    case 'reduce':
      return `reduce ${x(w.shape)}/${x(w.reduceShape)}`;
    case 'attention':
      return `attention ${w.batch.length ? `${x(w.batch)}·` : ''}${w.tq}×${w.tk}×${w.d}${w.clsStats ? ' +cls' : ''}`;
    case 'top_k':
      return `top_k ${x(w.rows)}·${w.n}→${w.k}`;
    case 'gather':
      return `gather ${x(w.shape)}`;
    case 'scatter_add':
      return `scatter_add ${x(w.updateShape)}→${x(w.shape)}`;
  }
}
