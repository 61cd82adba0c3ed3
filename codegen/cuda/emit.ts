import { VitcError } from '../../ir/errors.js';
import { type ScheduleChooser, type ScheduleSource, sha256, workloadKey } from '../emit-webgpu.js';
import { mergeBindings } from '../kernel-ir/merge-bindings.js';
import { finalizeKernel } from '../kernel-ir/rewrite.js';
import { type Kernel, sharedBytes } from '../kernel-ir/types.js';
import { lowerWorkload } from '../lower/index.js';
import { bufferBytes, type MemoryPlan, planMemory } from '../plan/memory.js';
import type { KernelPlan, PlanBuffer, PlanIO, Task } from '../plan/types.js';
import { cudaParamType } from '../render/cuda.js';
import type { TargetLimits } from '../schedule/limits.js';
import type { Schedule } from '../schedule/types.js';
import { canonicalJson } from '../workload/types.js';
import { cudaDefaultSchedule } from './default-schedule.js';
import { CUDA_LIMITS } from './limits.js';

export type CudaRegion = 'weights' | 'arena' | 'io';

/** A byte range of one of the model's three device allocations. */
export interface CudaSlice {
  readonly region: CudaRegion;
  readonly offset: number;
  readonly size: number;
}

/** One kernel launch of an inference, in order. */
export interface CudaLaunch {
  readonly kernel: string;
  readonly grid: readonly [number, number, number];
  readonly block: readonly [number, number, number];
  /** One per kernel parameter: the pointer's C type and where it points. */
  readonly args: readonly (CudaSlice & { readonly type: string })[];
  /** The task it implements (for comments, errors and profiles). */
  readonly label: string;
}

export interface CudaTensor {
  readonly name: string;
  readonly dtype: 'f32' | 'i32';
  readonly shape: readonly number[];
  /** Where it lives in the io allocation; `size` is the padded size, `bytes` the exact one. */
  readonly slice: CudaSlice;
  readonly bytes: number;
}

export interface CudaTaskInfo {
  readonly task: string;
  readonly kernel: string;
  readonly workloadKey: string;
  readonly schedule: Schedule;
  readonly source: ScheduleSource;
  readonly nodes: readonly string[];
}

/** A model lowered for CUDA: distinct kernels, the launch sequence, memory plan and weights. */
export interface CudaModel {
  readonly name: string;
  /** Distinct kernels in first-use order, each named by the hash of its kernel IR. */
  readonly kernels: readonly Kernel[];
  readonly launches: readonly CudaLaunch[];
  readonly tasks: readonly CudaTaskInfo[];
  readonly memory: MemoryPlan;
  /** The whole weights allocation as uploaded (weights at their offsets, zero padding between). */
  readonly weightsImage: Uint8Array;
  readonly weights: readonly { readonly key: string; readonly offset: number; readonly size: number }[];
  readonly inputs: readonly CudaTensor[];
  readonly outputs: readonly CudaTensor[];
}

export interface CudaEmitOptions {
  readonly limits?: TargetLimits;
  readonly choose?: ScheduleChooser;
}

/**
 * Lowers every task with its schedule, merges bindings of identical slices (the kernels declare
 * their pointers `__restrict__`, so one range must not arrive through two parameters), names each
 * kernel by the hash of its kernel IR so that identical encoder blocks share one function, and
 * places buffers with the same static memory plan as the WebGPU target.
 */
export function emitCuda(kp: KernelPlan, opts: CudaEmitOptions = {}): CudaModel {
  const limits = opts.limits ?? CUDA_LIMITS;
  const memory = planMemory(kp, Math.max(256, limits.minStorageBufferOffsetAlignment));
  const slice = (b: PlanBuffer): CudaSlice => {
    const o = memory.offsets.get(b)!;
    return { region: o.region, offset: o.offset, size: o.size };
  };
  const kernels = new Map<string, Kernel>();
  const launches: CudaLaunch[] = [];
  const tasks: CudaTaskInfo[] = [];
  for (const task of kp.tasks) {
    const key = workloadKey(task.workload);
    const chosen = opts.choose?.(task.workload, key);
    const schedule = chosen?.schedule ?? cudaDefaultSchedule(task.workload, limits);
    const slices = [...task.operands, task.output].map(slice);
    const merged = mergeBindings(finalizeKernel(lowerWorkload(task.workload, schedule, 'kernel')), (i, j) => sameSlice(slices[i]!, slices[j]!));
    const kernel: Kernel = { ...merged.kernel, name: `${task.workload.kind}_${kernelKey(merged.kernel)}` };
    checkKernel(kernel, task, limits);
    if (!kernels.has(kernel.name)) kernels.set(kernel.name, kernel);
    launches.push({
      kernel: kernel.name,
      grid: kernel.grid,
      block: kernel.workgroupSize,
      args: kernel.buffers.map((b, i) => ({ ...slices[merged.origin[i]!]!, type: cudaParamType(b) })),
      label: task.name,
    });
    tasks.push({ task: task.name, kernel: kernel.name, workloadKey: key, schedule, source: chosen?.source ?? 'default', nodes: task.nodes.map((n) => n.name ?? n.op.name) });
  }
  const weightsImage = new Uint8Array(memory.weightsBytes);
  const weights = kp.buffers
    .filter((b) => b.kind === 'weight')
    .map((b) => {
      const o = memory.offsets.get(b)!;
      const bytes = b.data!.toBytes();
      if (bytes.byteLength > o.size) throw new Error(`internal: weight ${b.name ?? b.id} has ${bytes.byteLength} bytes for a ${o.size}-byte slot`);
      weightsImage.set(bytes, o.offset);
      return { key: `w${b.id}${b.name ? `:${b.name}` : ''}`, offset: o.offset, size: o.size };
    });
  const tensor = (x: PlanIO): CudaTensor => ({ name: x.name, dtype: x.buffer.dtype, shape: x.shape, slice: slice(x.buffer), bytes: x.buffer.elements * 4 });
  const largest = Math.max(...kp.buffers.map(bufferBytes));
  if (largest > limits.maxStorageBufferBindingSize) throw new VitcError(`a tensor of ${largest} bytes exceeds the ${limits.maxStorageBufferBindingSize}-byte limit of 32-bit element indices`);
  return { name: kp.name, kernels: [...kernels.values()], launches, tasks, memory, weightsImage, weights, inputs: kp.inputs.map(tensor), outputs: kp.outputs.map(tensor) };
}

/**
 * Identity of a kernel: the hash of its canonical kernel IR, name excluded. Numbers JSON cannot
 * spell (-0, ±Infinity, NaN all print as 0 or null) are tagged so that they stay distinct.
 */
export function kernelKey(k: Kernel): string {
  return sha256(canonicalJson(exactNumbers({ ...k, name: '' }))).slice(0, 16);
}

function exactNumbers(x: unknown): unknown {
  if (typeof x === 'number') return Number.isFinite(x) && !Object.is(x, -0) ? x : { number: Object.is(x, -0) ? '-0' : String(x) };
  if (Array.isArray(x)) return x.map(exactNumbers);
  if (x !== null && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([key, v]) => [key, exactNumbers(v)]));
  return x;
}

function sameSlice(a: CudaSlice, b: CudaSlice): boolean {
  return a.region === b.region && a.offset === b.offset && a.size === b.size;
}

/** Rejects kernels a CUDA device cannot launch, naming the limit. */
function checkKernel(k: Kernel, task: Task, limits: TargetLimits): void {
  const [x, y, z] = k.workgroupSize;
  const fail = (what: string, need: number, limit: number) => {
    throw new VitcError(`kernel ${task.name} needs ${need} ${what}; CUDA allows ${limit}`);
  };
  if (x * y * z > limits.maxComputeInvocationsPerWorkgroup) fail('threads per block', x * y * z, limits.maxComputeInvocationsPerWorkgroup);
  if (x > limits.maxComputeWorkgroupSizeX) fail('threads along x', x, limits.maxComputeWorkgroupSizeX);
  if (y > limits.maxComputeWorkgroupSizeY) fail('threads along y', y, limits.maxComputeWorkgroupSizeY);
  if (z > limits.maxComputeWorkgroupSizeZ) fail('threads along z', z, limits.maxComputeWorkgroupSizeZ);
  if (sharedBytes(k) > limits.maxComputeWorkgroupStorageSize) fail('bytes of static shared memory', sharedBytes(k), limits.maxComputeWorkgroupStorageSize);
  if (k.buffers.length > limits.maxStorageBuffersPerShaderStage) fail('pointer parameters', k.buffers.length, limits.maxStorageBuffersPerShaderStage);
  for (const g of k.grid) if (g > limits.maxComputeWorkgroupsPerDimension) fail('blocks along one grid axis', g, limits.maxComputeWorkgroupsPerDimension);
}
