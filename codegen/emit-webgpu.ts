import { createHash } from 'node:crypto';
import { VitcError } from '../ir/errors.js';
import { PLAN_FORMAT, type ExecutionPlan, type PlanDispatch, type PlanProgram, type PlanSlice, type PlanTensor } from '../runtime/webgpu/plan.js';
import { mergeBindings } from './kernel-ir/merge-bindings.js';
import { finalizeKernel } from './kernel-ir/rewrite.js';
import { type Kernel, sharedBytes } from './kernel-ir/types.js';
import { lowerWorkload } from './lower/index.js';
import { bufferBytes, type MemoryPlan, planMemory } from './plan/memory.js';
import type { KernelPlan, PlanBuffer, Task } from './plan/types.js';
import { renderWgsl } from './render/wgsl.js';
import { defaultSchedule } from './schedule/defaults.js';
import type { TargetLimits } from './schedule/limits.js';
import type { Schedule } from './schedule/types.js';
import { canonicalJson, type Workload } from './workload/types.js';

/** Where a kernel's schedule came from (reported by `vitc compile`). */
export type ScheduleSource = 'tuned-exact' | 'tuned-nearest' | 'default';

export interface ScheduleChoice {
  readonly schedule: Schedule;
  readonly source: ScheduleSource;
}

/** Picks the schedule for a workload (tuning records); undefined falls back to the default. */
export type ScheduleChooser = (workload: Workload, key: string) => ScheduleChoice | undefined;

export interface EmitOptions {
  readonly limits: TargetLimits;
  readonly choose?: ScheduleChooser;
}

export interface EmittedKernel {
  readonly task: string;
  readonly program: string;
  readonly workloadKey: string;
  readonly schedule: Schedule;
  readonly source: ScheduleSource;
  readonly nodes: readonly string[];
}

export interface EmittedModel {
  readonly plan: ExecutionPlan;
  /** WGSL per program id. */
  readonly sources: ReadonlyMap<string, string>;
  /** Little-endian bytes per weight key. */
  readonly weights: ReadonlyMap<string, Uint8Array>;
  readonly kernels: readonly EmittedKernel[];
  readonly memory: MemoryPlan;
}

export function sha256(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The tuning key of a workload: the hash of its canonical form. */
export function workloadKey(w: Workload): string {
  return sha256(canonicalJson(w)).slice(0, 16);
}

/**
 * Lowers every task with its schedule, renders WGSL, de-duplicates identical programs (identical
 * encoder blocks share them), places buffers and assembles the execution plan. Fails with a
 * clear error when a kernel cannot fit the target's limits.
 */
export function emitWebGpu(kp: KernelPlan, opts: EmitOptions): EmittedModel {
  const limits = opts.limits;
  const alignment = Math.max(256, limits.minStorageBufferOffsetAlignment);
  const memory = planMemory(kp, alignment);
  const programs = new Map<string, PlanProgram>();
  const sources = new Map<string, string>();
  const dispatches: PlanDispatch[] = [];
  const kernels: EmittedKernel[] = [];
  let maxInvocations = 1;
  let maxShared = 0;
  let maxBindings = 0;
  const slice = (b: PlanBuffer): PlanSlice => {
    const o = memory.offsets.get(b)!;
    return { buffer: o.region, offset: o.offset, size: o.size };
  };
  for (const task of kp.tasks) {
    const key = workloadKey(task.workload);
    const chosen = opts.choose?.(task.workload, key);
    const schedule = chosen?.schedule ?? defaultSchedule(task.workload, limits);
    const slices = [...task.operands, task.output].map(slice);
    const { kernel, bound } = bindKernel(task.workload, schedule, key, slices);
    checkKernel(kernel, task, limits);
    const source = renderWgsl(kernel);
    const hash = sha256(source);
    const id = `k${hash.slice(0, 12)}`;
    if (!programs.has(id)) {
      programs.set(id, {
        id,
        entryPoint: 'main',
        workgroupSize: [...kernel.workgroupSize] as [number, number, number],
        bindings: kernel.buffers.map((b) => ({ access: b.access })),
        workgroupBytes: sharedBytes(kernel),
        hash,
      });
      sources.set(id, source);
    }
    dispatches.push({ program: id, grid: [...kernel.grid] as [number, number, number], bindings: bound, label: task.name });
    kernels.push({ task: task.name, program: id, workloadKey: key, schedule, source: chosen?.source ?? 'default', nodes: task.nodes.map((n) => n.name ?? n.op.name) });
    maxInvocations = Math.max(maxInvocations, kernel.workgroupSize[0] * kernel.workgroupSize[1] * kernel.workgroupSize[2]);
    maxShared = Math.max(maxShared, sharedBytes(kernel));
    maxBindings = Math.max(maxBindings, kernel.buffers.length);
  }
  const weights = new Map<string, Uint8Array>();
  const planWeights = kp.buffers
    .filter((b) => b.kind === 'weight')
    .map((b) => {
      const key = `w${b.id}${b.name ? `:${b.name}` : ''}`;
      const bytes = new Uint8Array(bufferBytes(b));
      bytes.set(b.data!.toBytes());
      weights.set(key, bytes);
      const o = memory.offsets.get(b)!;
      return { key, offset: o.offset, size: o.size };
    });
  const io = (x: { name: string; shape: readonly number[]; buffer: PlanBuffer }): PlanTensor => ({ name: x.name, dtype: 'f32', shape: x.shape, slice: slice(x.buffer) });
  const largestBinding = Math.max(4, ...kp.buffers.map(bufferBytes));
  if (largestBinding > limits.maxStorageBufferBindingSize)
    throw new VitcError(`a tensor of ${largestBinding} bytes exceeds the target's maxStorageBufferBindingSize (${limits.maxStorageBufferBindingSize} bytes)`);
  const largestBuffer = Math.max(memory.arenaBytes, memory.weightsBytes, memory.ioBytes);
  if (largestBuffer > limits.maxBufferSize) throw new VitcError(`the model needs a ${largestBuffer}-byte buffer; the target's maxBufferSize is ${limits.maxBufferSize}`);
  const plan: ExecutionPlan = {
    format: PLAN_FORMAT,
    name: kp.name,
    alignment,
    weightsBytes: memory.weightsBytes,
    arenaBytes: memory.arenaBytes,
    ioBytes: memory.ioBytes,
    paramsBytes: 0,
    params: [],
    weights: planWeights,
    inputs: kp.inputs.map(io),
    outputs: kp.outputs.map(io),
    programs: [...programs.values()],
    dispatches,
    requires: {
      features: [],
      limits: {
        maxComputeInvocationsPerWorkgroup: maxInvocations,
        maxComputeWorkgroupStorageSize: maxShared,
        maxStorageBuffersPerShaderStage: maxBindings,
        maxStorageBufferBindingSize: largestBinding,
        maxBufferSize: largestBuffer,
        minStorageBufferOffsetAlignment: alignment,
      },
    },
  };
  return { plan, sources, weights, kernels, memory };
}

/**
 * The kernel of one task as the model binds it: lowered with `schedule`, operands that share a
 * slice merged into one binding, operands in the output's buffer made writable. The autotuner
 * measures exactly this kernel, on slices laid out like the model's.
 */
export function bindKernel(w: Workload, schedule: Schedule, key: string, slices: readonly PlanSlice[]): { kernel: Kernel; bound: PlanSlice[] } {
  // Named by workload, not task: identical blocks must render identical programs.
  const merged = mergeBindings(finalizeKernel(lowerWorkload(w, schedule, `${w.kind}_${key}`)), (i, j) => sameSlice(slices[i]!, slices[j]!));
  const bound = merged.origin.map((i) => slices[i]!);
  return { kernel: writableWhereShared(merged.kernel, bound), bound };
}

function sameSlice(a: PlanSlice, b: PlanSlice): boolean {
  return a.buffer === b.buffer && a.offset === b.offset && a.size === b.size;
}

/**
 * WebGPU forbids binding one buffer both read-only and writable in a dispatch, even at disjoint
 * ranges: operands living in the same runtime buffer as the output are declared read_write.
 */
function writableWhereShared(k: Kernel, bound: readonly PlanSlice[]): Kernel {
  const out = bound[bound.length - 1]!.buffer;
  return { ...k, buffers: k.buffers.map((b, i) => (bound[i]!.buffer === out && b.access === 'read' ? { ...b, access: 'read_write' } : b)) };
}

/** Rejects kernels the target cannot run, naming the limit. */
function checkKernel(k: Kernel, task: Task, limits: TargetLimits): void {
  const problem = kernelLimitProblem(k, limits);
  if (problem) throw new VitcError(`kernel ${task.name} needs ${problem}`);
}

/** The first limit of the target a kernel breaks ("512 invocations per workgroup; the target allows 256 (...)"), or undefined. */
export function kernelLimitProblem(k: Kernel, limits: TargetLimits): string | undefined {
  const [x, y, z] = k.workgroupSize;
  const check = (what: string, need: number, limit: keyof TargetLimits) => (need > limits[limit] ? `${need} ${what}; the target allows ${limits[limit]} (${limit})` : undefined);
  return (
    check('invocations per workgroup', x * y * z, 'maxComputeInvocationsPerWorkgroup') ??
    check('invocations along x', x, 'maxComputeWorkgroupSizeX') ??
    check('invocations along y', y, 'maxComputeWorkgroupSizeY') ??
    check('invocations along z', z, 'maxComputeWorkgroupSizeZ') ??
    check('bytes of workgroup memory', sharedBytes(k), 'maxComputeWorkgroupStorageSize') ??
    check('storage buffers', k.buffers.length, 'maxStorageBuffersPerShaderStage') ??
    check('workgroups along one grid axis', Math.max(...k.grid), 'maxComputeWorkgroupsPerDimension')
  );
}

/** Bytes moved per inference: every kernel's operand and output bindings (an upper bound on traffic). */
export function bytesMoved(m: EmittedModel): number {
  return m.plan.dispatches.reduce((s, d) => s + d.bindings.reduce((t, b) => t + b.size, 0), 0);
}
