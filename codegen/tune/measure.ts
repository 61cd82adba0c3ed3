import { createExecutor, type Executor, type RunInputs, type TimingMethod } from '../../runtime/webgpu/executor.js';
import { PLAN_FORMAT, type ExecutionPlan, type PlanSlice, type PlanTensor } from '../../runtime/webgpu/plan.js';
import { bindKernel, kernelLimitProblem, sha256 } from '../emit-webgpu.js';
import { sharedBytes } from '../kernel-ir/types.js';
import { viewExtent } from '../plan/view.js';
import { renderWgsl } from '../render/wgsl.js';
import type { TargetLimits } from '../schedule/limits.js';
import type { Schedule } from '../schedule/types.js';
import { evaluateWorkload, outputPositions, type OperandData } from '../workload/evaluate.js';
import type { TuneJob } from './job.js';
import { SeededRandom } from './random.js';

/*
 * Measuring one candidate schedule of a job on the device. The kernel is bound exactly as the
 * model binds it (job.bindings), on several input sets: each set is a full copy of the operands
 * and the output, filled with different random values. A candidate first runs once on every
 * set and its outputs are compared with the CPU evaluation of the workload (evaluate.ts); a
 * candidate that disagrees is 'wrong' and its time is never taken. Timing then rotates through
 * the sets (so no candidate gets to keep one set of inputs hot in the caches), one dispatch per
 * sample, after a warm-up: GPU timestamps where the device has them, else host time from submit
 * to onSubmittedWorkDone (executor.timeDispatch). Median and min of the samples are reported.
 */

export type Outcome =
  | {
      readonly status: 'ok';
      readonly medianMs: number;
      readonly minMs: number;
      readonly samplesMs: readonly number[];
      readonly method: SampleMethod;
      readonly pruned: boolean;
    }
  | { readonly status: 'wrong' | 'error'; readonly message: string };

/**
 * How a sample was taken: GPU timestamps, host time from submit to onSubmittedWorkDone, or the
 * process CPU time over that span ('cpu', user + system of all threads). A CPU adapter runs its
 * shader threads inside this process, so 'cpu' counts the work the kernel costs and is far less
 * disturbed by other processes on a busy machine than either clock (which measure latency).
 */
export type SampleMethod = TimingMethod | 'cpu';

export interface MeasureOptions {
  /** Input sets to rotate through (default 3). */
  readonly sets?: number;
  /** Timing rounds over all sets at most (default 3); fewer when one round takes long. */
  readonly rounds?: number;
  /** After the first round, stop sampling once this much time has gone into timing (default 1500 ms). */
  readonly sampleBudgetMs?: number;
  /** Best median so far: a candidate whose first round is `pruneFactor` times slower stops there. */
  readonly bestMs?: number;
  readonly pruneFactor?: number;
  readonly method?: TimingMethod | 'auto' | 'cpu';
}

/** Random inputs of a job and the CPU results for them: computed once, shared by all candidates. */
export interface TrialData {
  /** Per set, per slot: the slot's memory (the output slot holds zeros). */
  readonly slots: readonly (readonly OperandData[])[];
  readonly slotElements: readonly number[];
  readonly outputSlot: number;
  /** Per set: the CPU result in the output slot's memory. */
  readonly expected: readonly Float64Array[];
  /** Output memory positions the workload writes. */
  readonly positions: Int32Array;
}

export function prepareTrialData(job: TuneJob, sets = 3, seed = 1): TrialData {
  const w = job.workload;
  const rng = new SeededRandom(seed);
  const views = [...w.operands.map((o) => o.view), w.output.view];
  const slotCount = Math.max(...job.bindings.map((b) => b.slot)) + 1;
  const slotElements = new Array<number>(slotCount).fill(1);
  const slotInt = new Array<boolean>(slotCount).fill(false);
  job.bindings.forEach((b, i) => {
    slotElements[b.slot] = Math.max(slotElements[b.slot]!, viewExtent(views[i]!));
    if (i < w.operands.length && w.operands[i]!.dtype === 'i32') slotInt[b.slot] = true;
  });
  const outputSlot = job.bindings[job.bindings.length - 1]!.slot;
  const slots: OperandData[][] = [];
  const expected: Float64Array[] = [];
  for (let s = 0; s < sets; s++) {
    const mem = slotElements.map((n, slot): OperandData => {
      if (slot === outputSlot) return new Float32Array(n);
      if (slotInt[slot]) return Int32Array.from({ length: n }, () => rng.below(4));
      return Float32Array.from({ length: n }, () => rng.uniform(-1, 1));
    });
    const out = new Float64Array(slotElements[outputSlot]!);
    evaluateWorkload(w, w.operands.map((_, i) => mem[job.bindings[i]!.slot]!), out);
    slots.push(mem);
    expected.push(out);
  }
  return { slots, slotElements, outputSlot, expected, positions: outputPositions(w) };
}

const alignUp = (n: number, a: number) => Math.ceil(n / a) * a;

/** The plan that runs the candidate once per input set: dispatch i reads set i, writes output i. */
function trialPlan(job: TuneJob, data: TrialData, schedule: Schedule, limits: TargetLimits): { plan: ExecutionPlan; source: string; weights: Map<string, Uint8Array>; inputs: RunInputs } {
  const alignment = Math.max(256, limits.minStorageBufferOffsetAlignment);
  const ends = { weights: 0, arena: 0, io: 0 };
  const regionOfSlot = new Map(job.bindings.map((b) => [b.slot, b.region]));
  const weights = new Map<string, Uint8Array>();
  const planWeights: ExecutionPlan['weights'][number][] = [];
  const inputs: Record<string, Float32Array | Int32Array> = {};
  const planInputs: PlanTensor[] = [];
  const outputs: PlanTensor[] = [];
  const setSlices = data.slots.map((mem, set) =>
    mem.map((values, slot): PlanSlice => {
      const region = regionOfSlot.get(slot)!;
      const size = alignUp(values.length * 4, 16);
      const offset = alignUp(ends[region], alignment);
      ends[region] = offset + size;
      const slice: PlanSlice = { buffer: region, offset, size };
      const dtype = values instanceof Int32Array ? 'i32' : 'f32';
      if (slot === data.outputSlot) outputs.push({ name: `out${set}`, dtype: 'f32', shape: [values.length], slice });
      else if (region === 'weights') {
        const bytes = new Uint8Array(size);
        bytes.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
        weights.set(`s${set}_${slot}`, bytes);
        planWeights.push({ key: `s${set}_${slot}`, offset, size });
      } else {
        inputs[`s${set}_${slot}`] = values;
        planInputs.push({ name: `s${set}_${slot}`, dtype, shape: [values.length], slice });
      }
      return slice;
    }),
  );
  const slicesOf = (set: number) => job.bindings.map((b) => setSlices[set]![b.slot]!);
  const first = slicesOf(0);
  const { kernel, bound } = bindKernel(job.workload, schedule, job.key, first);
  const problem = kernelLimitProblem(kernel, limits);
  if (problem) throw new CandidateError(`the kernel needs ${problem}`);
  const source = renderWgsl(kernel);
  const hash = sha256(source);
  const program = {
    id: `k${hash.slice(0, 12)}`,
    entryPoint: 'main',
    workgroupSize: [...kernel.workgroupSize] as [number, number, number],
    bindings: kernel.buffers.map((b) => ({ access: b.access })),
    workgroupBytes: sharedBytes(kernel),
    hash,
  };
  const boundIndex = bound.map((s) => first.indexOf(s));
  const plan: ExecutionPlan = {
    format: PLAN_FORMAT,
    name: `tune:${job.key}`,
    alignment,
    weightsBytes: Math.max(4, ends.weights),
    arenaBytes: Math.max(4, ends.arena),
    ioBytes: Math.max(4, ends.io),
    paramsBytes: 0,
    params: [],
    weights: planWeights,
    inputs: planInputs,
    outputs,
    programs: [program],
    dispatches: data.slots.map((_, set) => ({ program: program.id, grid: [...kernel.grid] as [number, number, number], bindings: boundIndex.map((i) => slicesOf(set)[i]!), label: `set${set}` })),
    requires: { features: [], limits: {} },
  };
  return { plan, source, weights, inputs };
}

/** Wall time one CPU-time sample should span (see measureCandidate). */
const CPU_SAMPLE_WALL_MS = 25;

/** A candidate that cannot be built for the device (a bug in the space if it ever happens). */
class CandidateError extends Error {}

/** First disagreement between a GPU output and the CPU result, or undefined when they agree. */
export function compareOutput(got: ArrayLike<number>, want: Float64Array, positions: Int32Array): string | undefined {
  let scale = 0;
  for (const p of positions) if (Number.isFinite(want[p]!)) scale = Math.max(scale, Math.abs(want[p]!));
  for (const p of positions) {
    const w = want[p]!;
    const g = got[p]!;
    if (Number.isNaN(w)) continue;
    const ok = Number.isFinite(w) ? Math.abs(g - w) <= 1e-3 * scale + 2e-3 * Math.abs(w) + 1e-6 : g === w;
    if (!ok) return `element ${p}: got ${g}, expected ${w}`;
  }
  return undefined;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function message(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
}

/** A lost device ends the tuning run: nothing measured afterwards would mean anything. */
export function isDeviceLost(e: unknown): boolean {
  return /device lost/i.test(message(e));
}

/** Checks and times one candidate (see the file comment). Throws only when the device is lost. */
export async function measureCandidate(device: GPUDevice, limits: TargetLimits, job: TuneJob, data: TrialData, schedule: Schedule, options: MeasureOptions = {}): Promise<Outcome> {
  let executor: Executor | undefined;
  try {
    const trial = trialPlan(job, data, schedule, limits);
    executor = await createExecutor(device, trial.plan, new Map([[trial.plan.programs[0]!.id, trial.source]]), trial.weights);
    const outputs = await executor.run(trial.inputs);
    for (let set = 0; set < data.expected.length; set++) {
      const bad = compareOutput(outputs[`out${set}`]!, data.expected[set]!, data.positions);
      if (bad) return { status: 'wrong', message: `input set ${set}: ${bad}` };
    }
    const sets = data.expected.length;
    const rounds = options.rounds ?? 3;
    const budget = options.sampleBudgetMs ?? 1500;
    const cpu = options.method === 'cpu';
    const timing = { ...(options.method && options.method !== 'cpu' ? { method: options.method } : cpu ? { method: 'host' as const } : {}) };
    // Warm-up: the first dispatches after pipeline creation pay for lazy driver work.
    const warm = await executor.timeDispatch(0, { ...timing, warmup: 1, repeats: 1 });
    // The kernel charges CPU time to threads that are running when the sample ends, in scheduler
    // ticks: a sample of one 5 ms dispatch is off by a tick or more either way. A CPU sample
    // therefore spans several dispatches (about CPU_SAMPLE_WALL_MS of wall time).
    const repeats = cpu ? Math.min(16, Math.max(1, Math.ceil(CPU_SAMPLE_WALL_MS / Math.max(warm.medianMs, 0.01)))) : 1;
    const sample = async (set: number): Promise<number> => {
      const before = cpu ? process.cpuUsage() : undefined;
      const t = await executor!.timeDispatch(set, { ...timing, warmup: 0, repeats });
      if (!before) return t.medianMs;
      const used = process.cpuUsage(before);
      return (used.user + used.system) / 1000 / repeats;
    };
    const samples: number[] = [];
    let pruned = false;
    const started = performance.now();
    for (let round = 0; round < rounds; round++) {
      for (let set = 0; set < sets; set++) samples.push(await sample(set));
      if (round === 0 && options.bestMs !== undefined && Math.min(...samples) > (options.pruneFactor ?? 3) * options.bestMs) {
        pruned = true;
        break;
      }
      if (performance.now() - started > budget) break;
    }
    return { status: 'ok', medianMs: median(samples), minMs: Math.min(...samples), samplesMs: samples, method: cpu ? 'cpu' : warm.method, pruned };
  } catch (e) {
    if (isDeviceLost(e)) throw e;
    return { status: 'error', message: message(e) };
  } finally {
    executor?.destroy();
  }
}
