import type { ExecutionPlan, PlanDType, PlanDispatch, PlanProgram, PlanSlice, PlanTensor } from './plan.js';

/*
 * Runs an ExecutionPlan on a GPUDevice. This file is copied into compiled artifacts, so at run
 * time it imports nothing (types only) and uses no WebGPU globals: Dawn's Node bindings only
 * install GPUBufferUsage & co. when asked to, so the enum bits are spelled out here.
 */

const USAGE_MAP_READ = 0x1;
const USAGE_COPY_SRC = 0x4;
const USAGE_COPY_DST = 0x8;
const USAGE_UNIFORM = 0x40;
const USAGE_STORAGE = 0x80;
const USAGE_QUERY_RESOLVE = 0x200;
const MAP_MODE_READ = 0x1;
const STAGE_COMPUTE = 0x4;
const EXPECTED_FORMAT: ExecutionPlan['format'] = 'vitc-webgpu-plan/1';
/** WebGPU caps one query set at 4096 queries: two timestamps per timed pass. */
const MAX_TIMED_PASSES = 2048;

/** An error the user can act on, always one line. */
export class WebGpuRuntimeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebGpuRuntimeError';
  }
}

type BufferKind = PlanSlice['buffer'];
const BUFFER_KINDS: readonly BufferKind[] = ['weights', 'arena', 'io', 'params'];

// ───────────────────────────── device naming ─────────────────────────────

/** A short human name for an adapter ("SwiftShader", "llvmpipe", or what the driver says). */
export function adapterDisplayName(info: GPUAdapterInfo | undefined): string {
  if (!info) return 'this WebGPU device';
  const all = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`;
  if (/swiftshader/i.test(all)) return 'SwiftShader';
  if (/llvmpipe/i.test(all)) return 'llvmpipe';
  if (/lavapipe/i.test(all)) return 'lavapipe';
  return info.description || [info.vendor, info.architecture].filter(Boolean).join(' ') || info.device || 'this WebGPU device';
}

export function deviceDisplayName(device: GPUDevice): string {
  return adapterDisplayName((device as { adapterInfo?: GPUAdapterInfo }).adapterInfo);
}

// ───────────────────────────── plan checks ─────────────────────────────

/** One limit value something in a plan relies on, and who relies on it (for the error message). */
export interface LimitNeed {
  readonly limit: string;
  readonly value: number;
  readonly who: string;
}

/** Limits where smaller is better: the device's value must divide what the plan uses. */
const ALIGNMENT_LIMITS = new Set(['minStorageBufferOffsetAlignment', 'minUniformBufferOffsetAlignment']);

const LIMIT_PHRASES: Readonly<Record<string, string>> = {
  maxComputeInvocationsPerWorkgroup: 'invocations per workgroup',
  maxComputeWorkgroupSizeX: 'invocations along workgroup x',
  maxComputeWorkgroupSizeY: 'invocations along workgroup y',
  maxComputeWorkgroupSizeZ: 'invocations along workgroup z',
  maxComputeWorkgroupStorageSize: 'bytes of workgroup memory',
  maxComputeWorkgroupsPerDimension: 'workgroups along one grid dimension',
  maxStorageBuffersPerShaderStage: 'storage bindings per shader',
  maxUniformBuffersPerShaderStage: 'uniform bindings per shader',
  maxBindingsPerBindGroup: 'bindings in one bind group',
  maxStorageBufferBindingSize: 'bytes in one storage binding',
  maxUniformBufferBindingSize: 'bytes in one uniform binding',
  maxBufferSize: 'bytes in one buffer',
  minStorageBufferOffsetAlignment: 'storage binding offsets aligned to',
  minUniformBufferOffsetAlignment: 'uniform binding offsets aligned to',
};

function limitValue(limits: GPUSupportedLimits | Readonly<Record<string, number>>, name: string): number | undefined {
  const value = (limits as unknown as Record<string, unknown>)[name];
  return typeof value === 'number' ? value : undefined;
}

function meets(limit: string, need: number, allowed: number): boolean {
  return ALIGNMENT_LIMITS.has(limit) ? need % allowed === 0 : need <= allowed;
}

function describeUnmet(need: LimitNeed, allowed: number | undefined, deviceName: string): string {
  const phrase = LIMIT_PHRASES[need.limit];
  if (allowed === undefined) return `${need.who} needs limit ${need.limit}, which ${deviceName} does not report`;
  if (ALIGNMENT_LIMITS.has(need.limit)) {
    return `${need.who} needs ${phrase ?? need.limit} ${need.value} bytes; ${deviceName} requires multiples of ${allowed}`;
  }
  return phrase
    ? `${need.who} needs ${need.value} ${phrase}; ${deviceName} allows ${allowed}`
    : `${need.who} needs ${need.limit} = ${need.value}; ${deviceName} allows ${allowed}`;
}

function oneLine(messages: readonly string[]): string {
  const more = messages.length > 1 ? ` (and ${messages.length - 1} more problem${messages.length > 2 ? 's' : ''})` : '';
  return `${messages[0]}${more}`;
}

export function firstLine(text: string): string {
  return text.split('\n').map((l) => l.trim()).find((l) => l.length > 0) ?? '';
}

/** The first unmet need as one line (with a count of others, one per program/dispatch), or undefined when all are met. */
export function unmetLimitsMessage(
  needs: readonly LimitNeed[],
  limits: GPUSupportedLimits | Readonly<Record<string, number>>,
  deviceName: string,
): string | undefined {
  const problems: string[] = [];
  const reported = new Set<string>();
  for (const need of needs) {
    // One problem per program/dispatch: 512 invocations also breaks workgroup size x, say it once.
    if (reported.has(need.who)) continue;
    const allowed = limitValue(limits, need.limit);
    if (allowed === undefined || !meets(need.limit, need.value, allowed)) {
      problems.push(describeUnmet(need, allowed, deviceName));
      reported.add(need.who);
    }
  }
  return problems.length ? oneLine(problems) : undefined;
}

/** The requiredLimits for requestDevice: the largest need of each max-limit, the smallest alignment. */
export function requiredLimitsFor(needs: readonly LimitNeed[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const { limit, value } of needs) {
    const prev = out[limit];
    if (prev === undefined) out[limit] = value;
    else out[limit] = ALIGNMENT_LIMITS.has(limit) ? gcd(prev, value) : Math.max(prev, value);
  }
  return out;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** The largest power of two (at most 256, WebGPU's largest alignment) dividing `offset`. */
function offsetAlignment(offset: number): number {
  let a = 256;
  while (a > 1 && offset % a !== 0) a /= 2;
  return a;
}

function bufferBytes(plan: ExecutionPlan, kind: BufferKind): number {
  switch (kind) {
    case 'weights':
      return plan.weightsBytes;
    case 'arena':
      return plan.arenaBytes;
    case 'io':
      return plan.ioBytes;
    case 'params':
      return plan.paramsBytes;
  }
}

function dispatchName(plan: ExecutionPlan, index: number): string {
  const d = plan.dispatches[index]!;
  return `dispatch ${index} (${d.label || d.program})`;
}

/** Every device limit the plan relies on. Assumes the plan passed planStructureProblems. */
export function planNeeds(plan: ExecutionPlan): LimitNeed[] {
  const needs: LimitNeed[] = [];
  const need = (limit: string, value: number, who: string) => needs.push({ limit, value, who });
  for (const [limit, value] of Object.entries(plan.requires.limits)) need(limit, value, `plan ${plan.name}`);
  for (const kind of BUFFER_KINDS) {
    const bytes = bufferBytes(plan, kind);
    if (bytes > 0) need('maxBufferSize', alignUp(bytes, 4), `the ${kind} buffer of plan ${plan.name}`);
  }
  for (const p of plan.programs) {
    const who = `program ${p.id}`;
    const [x, y, z] = p.workgroupSize;
    need('maxComputeInvocationsPerWorkgroup', x * y * z, who);
    need('maxComputeWorkgroupSizeX', x, who);
    need('maxComputeWorkgroupSizeY', y, who);
    need('maxComputeWorkgroupSizeZ', z, who);
    if (p.workgroupBytes > 0) need('maxComputeWorkgroupStorageSize', p.workgroupBytes, who);
    const uniforms = p.bindings.filter((b) => b.access === 'uniform').length;
    need('maxStorageBuffersPerShaderStage', p.bindings.length - uniforms, who);
    if (uniforms > 0) need('maxUniformBuffersPerShaderStage', uniforms, who);
    need('maxBindingsPerBindGroup', p.bindings.length, who);
  }
  plan.dispatches.forEach((d, i) => {
    const who = dispatchName(plan, i);
    need('maxComputeWorkgroupsPerDimension', Math.max(...d.grid), who);
    const program = plan.programs.find((p) => p.id === d.program)!;
    d.bindings.forEach((slice, b) => {
      const uniform = program.bindings[b]!.access === 'uniform';
      need(uniform ? 'maxUniformBufferBindingSize' : 'maxStorageBufferBindingSize', slice.size, who);
      const alignment = uniform ? 'minUniformBufferOffsetAlignment' : 'minStorageBufferOffsetAlignment';
      need(alignment, offsetAlignment(slice.offset), who);
    });
  });
  return needs;
}

const DTYPE_BYTES: Readonly<Record<PlanDType, number>> = { f32: 4, f16: 2, i32: 4, u32: 4 };

function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

function isCount(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0;
}

/**
 * Device-independent consistency problems of a plan (bad references, slices out of bounds,
 * bindings WebGPU would reject within one dispatch). Empty when the plan is well formed.
 */
export function planStructureProblems(plan: ExecutionPlan): string[] {
  const problems: string[] = [];
  if (plan.format !== EXPECTED_FORMAT) {
    return [`plan format is ${JSON.stringify(plan.format)}; this runtime reads ${EXPECTED_FORMAT}`];
  }
  for (const kind of BUFFER_KINDS) {
    if (!isCount(bufferBytes(plan, kind))) problems.push(`plan ${plan.name}: ${kind}Bytes must be a non-negative integer`);
  }
  if (problems.length) return problems;
  const sliceProblem = (slice: PlanSlice, what: string): string | undefined => {
    if (!BUFFER_KINDS.includes(slice.buffer)) return `${what} names unknown buffer ${JSON.stringify(slice.buffer)}`;
    if (!isCount(slice.offset) || !isCount(slice.size)) return `${what} has a bad offset/size`;
    const bytes = bufferBytes(plan, slice.buffer);
    if (slice.offset + slice.size > bytes) {
      return `${what} covers ${slice.buffer} bytes [${slice.offset}, ${slice.offset + slice.size}) but the ${slice.buffer} buffer has ${bytes}`;
    }
    if (slice.offset % 4 !== 0) return `${what} starts at ${slice.buffer} offset ${slice.offset}, not a multiple of 4`;
    return undefined;
  };
  const programs = new Map<string, PlanProgram>();
  for (const p of plan.programs) {
    if (programs.has(p.id)) problems.push(`program id ${p.id} appears twice`);
    programs.set(p.id, p);
    if (p.workgroupSize.length !== 3 || !p.workgroupSize.every((n) => isCount(n) && n > 0)) {
      problems.push(`program ${p.id} has a bad workgroup size ${JSON.stringify(p.workgroupSize)}`);
    }
    if (!p.entryPoint) problems.push(`program ${p.id} has no entry point`);
  }
  plan.dispatches.forEach((d, i) => {
    const who = dispatchName(plan, i);
    const program = programs.get(d.program);
    if (!program) return problems.push(`${who} uses unknown program ${d.program}`);
    if (d.grid.length !== 3 || !d.grid.every(isCount)) problems.push(`${who} has a bad grid ${JSON.stringify(d.grid)}`);
    if (d.bindings.length !== program.bindings.length) {
      return problems.push(`${who} binds ${d.bindings.length} slices; program ${program.id} declares ${program.bindings.length} bindings`);
    }
    const bad = d.bindings.map((s, b) => sliceProblem(s, `${who} binding ${b}`)).filter((m): m is string => !!m);
    if (bad.length) return problems.push(...bad);
    d.bindings.forEach((slice, b) => {
      const access = program.bindings[b]!.access;
      if ((access === 'uniform') !== (slice.buffer === 'params')) {
        problems.push(`${who} binding ${b} is ${access} but lies in the ${slice.buffer} buffer (uniform blocks live in params, storage elsewhere)`);
      }
      if (slice.size === 0) problems.push(`${who} binding ${b} is empty`);
      if (access !== 'uniform' && slice.size % 4 !== 0) problems.push(`${who} binding ${b} has ${slice.size} bytes, not a multiple of 4`);
    });
    problems.push(...usageScopeProblems(d, program, who));
  });
  const tensorNames = new Set<string>();
  for (const [role, tensors] of [['input', plan.inputs], ['output', plan.outputs]] as const) {
    for (const t of tensors) {
      const what = `${role} ${JSON.stringify(t.name)}`;
      if (tensorNames.has(t.name)) problems.push(`${what} is named twice`);
      tensorNames.add(t.name);
      if (!(t.dtype in DTYPE_BYTES)) {
        problems.push(`${what} has unsupported dtype ${JSON.stringify(t.dtype)}`);
        continue;
      }
      const p = sliceProblem(t.slice, what);
      if (p) problems.push(p);
      else if (t.slice.size < elementCount(t.shape) * DTYPE_BYTES[t.dtype]) {
        problems.push(`${what} of shape [${t.shape.join(',')}] ${t.dtype} does not fit its ${t.slice.size}-byte slice`);
      }
      if (role === 'input' && t.slice.buffer === 'params') problems.push(`${what} lies in the params buffer`);
    }
  }
  const keys = new Set<string>();
  for (const w of plan.weights) {
    if (keys.has(w.key)) problems.push(`weight ${JSON.stringify(w.key)} is placed twice`);
    keys.add(w.key);
    const p = sliceProblem({ buffer: 'weights', offset: w.offset, size: w.size }, `weight ${JSON.stringify(w.key)}`);
    if (p) problems.push(p);
  }
  if (plan.params.length * 4 > plan.paramsBytes) {
    problems.push(`plan ${plan.name} has ${plan.params.length} param words but a ${plan.paramsBytes}-byte params buffer`);
  }
  return problems;
}

/**
 * WebGPU treats each dispatch as one usage scope: a buffer bound read_write there may not also be
 * bound read-only or uniform, and its writable ranges may not overlap (Dawn rejects both).
 */
function usageScopeProblems(d: PlanDispatch, program: PlanProgram, who: string): string[] {
  const problems: string[] = [];
  for (const kind of BUFFER_KINDS) {
    const here = d.bindings.map((slice, b) => ({ slice, access: program.bindings[b]!.access, b })).filter((x) => x.slice.buffer === kind);
    const writable = here.filter((x) => x.access === 'read_write');
    if (writable.length === 0) continue;
    const readOnly = here.find((x) => x.access !== 'read_write');
    if (readOnly) {
      problems.push(
        `${who} binds the ${kind} buffer read_write (binding ${writable[0]!.b}) and ${readOnly.access} (binding ${readOnly.b}); ` +
          `WebGPU forbids mixing them in one dispatch — declare every ${kind} binding of program ${program.id} read_write`,
      );
    }
    for (let i = 0; i < writable.length; i++) {
      for (let j = i + 1; j < writable.length; j++) {
        const a = writable[i]!.slice;
        const b = writable[j]!.slice;
        if (a.offset < b.offset + b.size && b.offset < a.offset + a.size) {
          problems.push(`${who} binds overlapping writable ${kind} ranges (bindings ${writable[i]!.b} and ${writable[j]!.b})`);
        }
      }
    }
  }
  return problems;
}

/** Problems running `plan` on `device` would hit: structure, features, limits. Checked before creating anything. */
export function planDeviceProblems(plan: ExecutionPlan, device: GPUDevice): string[] {
  const structural = planStructureProblems(plan);
  if (structural.length) return structural;
  const name = deviceDisplayName(device);
  const problems = plan.requires.features
    .filter((f) => !device.features.has(f))
    .map((f) => `plan ${plan.name} needs feature ${f}, which the ${name} device was not created with`);
  const limits = unmetLimitsMessage(planNeeds(plan), device.limits, name);
  if (limits) problems.push(limits);
  return problems;
}

// ───────────────────────────── tensors in and out ─────────────────────────────

export type InputArray = Float32Array | Int32Array | Uint32Array | Uint16Array;
export type OutputArray = Float32Array | Int32Array | Uint32Array;
export type RunInputs = Readonly<Record<string, InputArray>>;
export type RunOutputs = Record<string, OutputArray>;

function inputBytes(t: PlanTensor, data: InputArray): Uint8Array {
  const count = elementCount(t.shape);
  const expect =
    t.dtype === 'f32' ? 'Float32Array' : t.dtype === 'i32' ? 'Int32Array' : t.dtype === 'u32' ? 'Uint32Array' : 'Float32Array or Uint16Array (f16 bits)';
  const okType =
    (t.dtype === 'f32' && data instanceof Float32Array) ||
    (t.dtype === 'i32' && data instanceof Int32Array) ||
    (t.dtype === 'u32' && data instanceof Uint32Array) ||
    (t.dtype === 'f16' && (data instanceof Float32Array || data instanceof Uint16Array));
  const got = `${data?.constructor?.name ?? typeof data}${ArrayBuffer.isView(data) ? ` of ${data.length}` : ''}`;
  if (!okType || data.length !== count) {
    throw new WebGpuRuntimeError(`input ${JSON.stringify(t.name)} needs a ${expect} of ${count} ${t.dtype} values (shape [${t.shape.join(',')}]); got ${got}`);
  }
  const typed = t.dtype === 'f16' && data instanceof Float32Array ? f32ArrayToF16Bits(data) : data;
  // writeBuffer wants a length that is a multiple of 4, and Dawn's Node bindings reject views of a
  // SharedArrayBuffer: copy in those cases, otherwise hand the caller's bytes over as they are.
  const shared = typeof SharedArrayBuffer !== 'undefined' && typed.buffer instanceof SharedArrayBuffer;
  const view = new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
  if (!shared && view.byteLength % 4 === 0) return view;
  const copy = new Uint8Array(alignUp(view.byteLength, 4));
  copy.set(view);
  return copy;
}

function outputArray(t: PlanTensor, bytes: Uint8Array): OutputArray {
  const count = elementCount(t.shape);
  const own = bytes.slice(0, count * DTYPE_BYTES[t.dtype]).buffer;
  switch (t.dtype) {
    case 'f32':
      return new Float32Array(own);
    case 'i32':
      return new Int32Array(own);
    case 'u32':
      return new Uint32Array(own);
    case 'f16':
      return f16BitsToF32Array(new Uint16Array(own));
  }
}

/** Round-to-nearest-even conversion of f32 values to IEEE half bits. */
export function f32ArrayToF16Bits(values: Float32Array): Uint16Array {
  const bits = new Uint32Array(Float32Array.from(values).buffer);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < bits.length; i++) {
    const x = bits[i]!;
    const sign = (x >>> 16) & 0x8000;
    const exp = (x >>> 23) & 0xff;
    const mant = x & 0x7fffff;
    if (exp === 0xff) {
      out[i] = sign | 0x7c00 | (mant ? 0x200 : 0);
      continue;
    }
    const e = exp - 127 + 15;
    if (e >= 0x1f) {
      out[i] = sign | 0x7c00;
    } else if (e <= 0) {
      if (e < -10) {
        out[i] = sign;
        continue;
      }
      const m = mant | 0x800000;
      const shift = 14 - e;
      let half = m >>> shift;
      const rest = m & ((1 << shift) - 1);
      const halfway = 1 << (shift - 1);
      if (rest > halfway || (rest === halfway && half & 1)) half++;
      out[i] = sign | half;
    } else {
      let half = (e << 10) | (mant >>> 13);
      const rest = mant & 0x1fff;
      if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++;
      out[i] = sign | half;
    }
  }
  return out;
}

export function f16BitsToF32Array(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) {
    const h = bits[i]!;
    const sign = h & 0x8000 ? -1 : 1;
    const e = (h >>> 10) & 0x1f;
    const m = h & 0x3ff;
    out[i] = e === 0 ? sign * m * 2 ** -24 : e === 31 ? (m ? NaN : sign * Infinity) : sign * (1 + m / 1024) * 2 ** (e - 15);
  }
  return out;
}

// ───────────────────────────── the executor ─────────────────────────────

export type ProgramSources = ReadonlyMap<string, string> | Readonly<Record<string, string>>;
export type WeightBytes = ReadonlyMap<string, Uint8Array> | Readonly<Record<string, Uint8Array>>;

export type TimingMethod = 'timestamp' | 'host';

export interface TimingOptions {
  readonly warmup?: number;
  readonly repeats?: number;
  /** 'auto' (default): GPU timestamps when the device has 'timestamp-query', else host time. */
  readonly method?: TimingMethod | 'auto';
}

export interface Timing {
  readonly method: TimingMethod;
  readonly samplesMs: readonly number[];
  readonly medianMs: number;
  readonly minMs: number;
}

export interface DispatchProfile {
  readonly index: number;
  readonly label: string;
  readonly program: string;
  readonly ms: number;
}

export interface Profile {
  readonly method: TimingMethod;
  readonly dispatches: readonly DispatchProfile[];
  readonly totalMs: number;
}

export interface ExecutorStats {
  readonly programs: number;
  readonly shaderModules: number;
  readonly pipelines: number;
  readonly bindGroups: number;
  readonly dispatches: number;
}

export interface Executor {
  readonly plan: ExecutionPlan;
  readonly stats: ExecutorStats;
  /** Writes the inputs, runs every dispatch in one compute pass, reads the outputs back. */
  run(inputs: RunInputs): Promise<RunOutputs>;
  /** Per-dispatch time of one run (GPU timestamps where available, else host time per dispatch). */
  profile(inputs?: RunInputs, options?: { readonly method?: TimingMethod | 'auto' }): Promise<Profile>;
  /** Times one dispatch repeatedly on the current buffer contents (for the autotuner). */
  timeDispatch(index: number, options?: TimingOptions): Promise<Timing>;
  /** Frees the executor's buffers; the device stays the caller's. */
  destroy(): void;
}

function lookup<T>(table: ReadonlyMap<string, T> | Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  if (!table) return undefined;
  if (table instanceof Map) return table.get(key);
  return Object.prototype.hasOwnProperty.call(table, key) ? (table as Readonly<Record<string, T>>)[key] : undefined;
}

interface CompileTask {
  readonly program: PlanProgram;
  readonly key: string;
}

const BINDING_TYPES: Readonly<Record<PlanProgram['bindings'][number]['access'], GPUBufferBindingType>> = {
  read: 'read-only-storage',
  read_write: 'storage',
  uniform: 'uniform',
};

function layoutKey(p: PlanProgram): string {
  return p.bindings.map((b) => b.access).join(',');
}

function pipelineKey(p: PlanProgram): string {
  return `${p.hash}|${p.entryPoint}|${layoutKey(p)}`;
}

/**
 * Builds an executor. Checks the plan against the device first (nothing is created when a check
 * fails), then creates buffers, one pipeline per distinct program (in parallel) and the bind groups.
 */
export async function createExecutor(
  device: GPUDevice,
  plan: ExecutionPlan,
  sources?: ProgramSources,
  weights?: WeightBytes,
): Promise<Executor> {
  const problems = planDeviceProblems(plan, device);
  if (problems.length) throw new WebGpuRuntimeError(oneLine(problems));
  const sourceOf = resolveSources(plan, sources);
  checkWeights(plan, weights);

  const created: { destroy(): void }[] = [];
  const fail = (message: string): never => {
    for (const c of created) c.destroy();
    throw new WebGpuRuntimeError(message);
  };

  // Buffers.
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  const buffers = makeBuffers(device, plan, weights);
  const staging = device.createBuffer({
    label: `${plan.name}:staging`,
    size: Math.max(4, plan.outputs.reduce((n, t) => n + alignUp(t.slice.size, 4), 0)),
    usage: USAGE_MAP_READ | USAGE_COPY_DST,
  });
  created.push(...Object.values(buffers), staging);
  const [bufferValidation, bufferMemory] = await Promise.all([device.popErrorScope(), device.popErrorScope()]);
  const bufferError = bufferMemory ?? bufferValidation;
  if (bufferError) fail(`cannot create the buffers of plan ${plan.name} on ${deviceDisplayName(device)}: ${firstLine(bufferError.message)}`);

  // Pipelines: one per distinct (source hash, entry point, layout), created in parallel.
  const layouts = new Map<string, { group: GPUBindGroupLayout; pipeline: GPUPipelineLayout }>();
  const layoutFor = (p: PlanProgram) => {
    const key = layoutKey(p);
    let l = layouts.get(key);
    if (!l) {
      const group = device.createBindGroupLayout({
        label: `layout(${key})`,
        entries: p.bindings.map((b, i) => ({ binding: i, visibility: STAGE_COMPUTE, buffer: { type: BINDING_TYPES[b.access] } })),
      });
      l = { group, pipeline: device.createPipelineLayout({ bindGroupLayouts: [group] }) };
      layouts.set(key, l);
    }
    return l;
  };
  const tasks = new Map<string, CompileTask>();
  for (const p of plan.programs) if (!tasks.has(pipelineKey(p))) tasks.set(pipelineKey(p), { program: p, key: pipelineKey(p) });
  const modules = new Map<string, GPUShaderModule>();
  const compiled = await Promise.allSettled(
    [...tasks.values()].map(async ({ program, key }) => {
      let module = modules.get(program.hash);
      let moduleError: Promise<GPUError | null> = Promise.resolve(null);
      if (!module) {
        device.pushErrorScope('validation');
        module = device.createShaderModule({ label: program.id, code: sourceOf(program) });
        moduleError = device.popErrorScope();
        modules.set(program.hash, module);
      }
      const where = program.file ?? program.id;
      const compileError = async () => {
        const info = await module!.getCompilationInfo();
        const m = info.messages.find((x) => x.type === 'error');
        if (m) return `program ${program.id} has invalid WGSL: ${where}:${m.lineNum}:${m.linePos}: ${firstLine(m.message)}`;
        const scoped = await moduleError;
        return scoped ? `program ${program.id} has invalid WGSL: ${firstLine(scoped.message)}` : undefined;
      };
      const invalid = await compileError();
      if (invalid) throw new WebGpuRuntimeError(invalid);
      try {
        const pipeline = await device.createComputePipelineAsync({
          label: program.id,
          layout: layoutFor(program).pipeline,
          compute: { module, entryPoint: program.entryPoint },
        });
        return [key, pipeline] as const;
      } catch (e) {
        throw new WebGpuRuntimeError(`program ${program.id}: pipeline creation failed: ${firstLine(e instanceof Error ? e.message : String(e))}`);
      }
    }),
  );
  const failures = compiled.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => errorText(r.reason));
  if (failures.length) fail(oneLine(failures));
  const pipelines = new Map(compiled.map((r) => (r as PromiseFulfilledResult<readonly [string, GPUComputePipeline]>).value));

  // Bind groups, one per distinct (layout, slices).
  device.pushErrorScope('validation');
  const programById = new Map(plan.programs.map((p) => [p.id, p]));
  const bindGroupCache = new Map<string, GPUBindGroup>();
  const encoded = plan.dispatches.map((d) => {
    const program = programById.get(d.program)!;
    const key = `${layoutKey(program)}|${d.bindings.map((s) => `${s.buffer}:${s.offset}:${s.size}`).join(';')}`;
    let bindGroup = bindGroupCache.get(key);
    if (!bindGroup) {
      bindGroup = device.createBindGroup({
        label: d.label,
        layout: layoutFor(program).group,
        entries: d.bindings.map((s, i) => ({ binding: i, resource: { buffer: buffers[s.buffer], offset: s.offset, size: s.size } })),
      });
      bindGroupCache.set(key, bindGroup);
    }
    return { pipeline: pipelines.get(pipelineKey(program))!, bindGroup, grid: d.grid };
  });
  const bindError = await device.popErrorScope();
  if (bindError) fail(`cannot create the bind groups of plan ${plan.name}: ${firstLine(bindError.message)}`);

  const stats: ExecutorStats = {
    programs: plan.programs.length,
    shaderModules: modules.size,
    pipelines: pipelines.size,
    bindGroups: bindGroupCache.size,
    dispatches: plan.dispatches.length,
  };
  return makeExecutor(device, plan, buffers, staging, encoded, stats);
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function resolveSources(plan: ExecutionPlan, sources: ProgramSources | undefined): (p: PlanProgram) => string {
  const byHash = new Map<string, { id: string; source: string }>();
  const problems: string[] = [];
  const table = new Map<string, string>();
  for (const p of plan.programs) {
    const source = lookup(sources, p.id) ?? p.source;
    if (source === undefined) {
      problems.push(`program ${p.id} has no WGSL source (neither in the plan nor among the given sources)`);
      continue;
    }
    const seen = byHash.get(p.hash);
    if (seen && seen.source !== source) problems.push(`programs ${seen.id} and ${p.id} share hash ${p.hash} but their sources differ`);
    if (!seen) byHash.set(p.hash, { id: p.id, source });
    table.set(p.id, source);
  }
  if (problems.length) throw new WebGpuRuntimeError(oneLine(problems));
  return (p) => table.get(p.id)!;
}

function checkWeights(plan: ExecutionPlan, weights: WeightBytes | undefined): void {
  const problems: string[] = [];
  for (const w of plan.weights) {
    const bytes = lookup(weights, w.key);
    if (!bytes) problems.push(`weight ${JSON.stringify(w.key)} is missing`);
    else if (bytes.byteLength !== w.size) problems.push(`weight ${JSON.stringify(w.key)} has ${bytes.byteLength} bytes; the plan expects ${w.size}`);
  }
  if (problems.length) throw new WebGpuRuntimeError(oneLine(problems));
}

type PlanBuffers = Record<BufferKind, GPUBuffer>;

function makeBuffers(device: GPUDevice, plan: ExecutionPlan, weights: WeightBytes | undefined): PlanBuffers {
  const make = (kind: BufferKind, usage: number, fill?: (bytes: Uint8Array) => void): GPUBuffer => {
    const size = Math.max(4, alignUp(bufferBytes(plan, kind), 4));
    const buffer = device.createBuffer({ label: `${plan.name}:${kind}`, size, usage, mappedAtCreation: !!fill });
    if (fill) {
      fill(new Uint8Array(buffer.getMappedRange()));
      buffer.unmap();
    }
    return buffer;
  };
  const storage = USAGE_STORAGE | USAGE_COPY_SRC | USAGE_COPY_DST;
  return {
    weights: make('weights', storage, (bytes) => {
      for (const w of plan.weights) bytes.set(lookup(weights, w.key)!, w.offset);
    }),
    arena: make('arena', storage),
    io: make('io', storage),
    params: make('params', USAGE_UNIFORM | USAGE_COPY_DST, (bytes) => {
      const words = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
      plan.params.forEach((w, i) => (words[i] = w >>> 0));
    }),
  };
}

interface EncodedDispatch {
  readonly pipeline: GPUComputePipeline;
  readonly bindGroup: GPUBindGroup;
  readonly grid: readonly [number, number, number];
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

interface LossWatch {
  /** The one-line error once the device is lost. */
  readonly message: string | undefined;
  /** `work`, unless the device is lost first: then the lost error. */
  guard<T>(work: Promise<T>): Promise<T>;
}

/**
 * Watches device.lost. Kept apart from the executor's closures because device.lost may never
 * settle: its reaction then lives as long as the device, and should hold only this small state
 * (not the executor's pipelines), for devices that outlive many executors (the autotuner).
 */
function watchLoss(device: GPUDevice): LossWatch {
  const state = { message: undefined as string | undefined, rejects: new Set<(e: Error) => void>() };
  void device.lost.then((info) => {
    state.message = `WebGPU device lost: ${info.reason}${info.message ? ` (${firstLine(info.message)})` : ''}`;
    for (const reject of state.rejects) reject(new WebGpuRuntimeError(state.message));
    state.rejects.clear();
  });
  return {
    get message() {
      return state.message;
    },
    guard: <T>(work: Promise<T>) =>
      new Promise<T>((resolve, reject) => {
        if (state.message) return reject(new WebGpuRuntimeError(state.message));
        state.rejects.add(reject);
        work.then(
          (v) => {
            state.rejects.delete(reject);
            resolve(v);
          },
          (e) => {
            state.rejects.delete(reject);
            reject(state.message ? new WebGpuRuntimeError(state.message) : e);
          },
        );
      }),
  };
}

function makeExecutor(
  device: GPUDevice,
  plan: ExecutionPlan,
  buffers: PlanBuffers,
  staging: GPUBuffer,
  encoded: readonly EncodedDispatch[],
  stats: ExecutorStats,
): Executor {
  let destroyed = false;
  const loss = watchLoss(device);
  const guard = <T>(work: Promise<T>) => loss.guard(work);
  const ensureUsable = () => {
    if (destroyed) throw new WebGpuRuntimeError(`the executor of plan ${plan.name} was destroyed`);
    if (loss.message) throw new WebGpuRuntimeError(loss.message);
  };
  // Runs share the staging buffer and the io buffer, so they take turns.
  let tail: Promise<unknown> = Promise.resolve();
  const serialize = <T>(job: () => Promise<T>): Promise<T> => {
    const result = tail.then(() => {
      ensureUsable();
      return job();
    });
    tail = result.catch(() => undefined);
    return result;
  };
  const checkedSubmit = async (what: string, encode: (encoder: GPUCommandEncoder) => void): Promise<void> => {
    device.pushErrorScope('validation');
    const encoder = device.createCommandEncoder({ label: `${plan.name}:${what}` });
    encode(encoder);
    device.queue.submit([encoder.finish()]);
    const error = await guard(device.popErrorScope());
    if (error) throw new WebGpuRuntimeError(loss.message ?? `${what} of plan ${plan.name} failed on the GPU: ${firstLine(error.message)}`);
  };
  const writeInputs = (inputs: RunInputs | undefined, required: boolean) => {
    if (inputs === null || typeof inputs !== 'object') {
      if (!required) return () => undefined;
      throw new WebGpuRuntimeError(`run of plan ${plan.name} needs an object of inputs: ${plan.inputs.map((t) => t.name).join(', ')}`);
    }
    const known = new Set(plan.inputs.map((t) => t.name));
    const unknown = Object.keys(inputs).filter((k) => !known.has(k));
    if (unknown.length) {
      throw new WebGpuRuntimeError(`unknown input ${JSON.stringify(unknown[0])}; plan ${plan.name} takes ${plan.inputs.map((t) => JSON.stringify(t.name)).join(', ')}`);
    }
    const missing = plan.inputs.filter((t) => !(t.name in inputs));
    if (missing.length && required) throw new WebGpuRuntimeError(`missing input ${JSON.stringify(missing[0]!.name)} of plan ${plan.name}`);
    const writes = plan.inputs.filter((t) => t.name in inputs).map((t) => ({ t, bytes: inputBytes(t, inputs[t.name]!) }));
    return () => {
      for (const { t, bytes } of writes) device.queue.writeBuffer(buffers[t.slice.buffer], t.slice.offset, bytes);
    };
  };
  const encodeDispatch = (pass: GPUComputePassEncoder, d: EncodedDispatch) => {
    pass.setPipeline(d.pipeline);
    pass.setBindGroup(0, d.bindGroup);
    pass.dispatchWorkgroups(d.grid[0], d.grid[1], d.grid[2]);
  };
  const timestampsAvailable = () => device.features.has('timestamp-query');
  const pickMethod = (method: TimingMethod | 'auto' | undefined): TimingMethod => {
    const m = method ?? 'auto';
    if (m === 'auto') return timestampsAvailable() ? 'timestamp' : 'host';
    if (m === 'timestamp' && !timestampsAvailable()) {
      throw new WebGpuRuntimeError(`timestamp timing needs the 'timestamp-query' feature, which ${deviceDisplayName(device)} was not created with`);
    }
    return m;
  };
  /** GPU time of each encoded pass group, in ms, through timestamp queries (chunked by query-set size). */
  const timestampPasses = async (what: string, groups: readonly (readonly EncodedDispatch[])[]): Promise<number[]> => {
    const times: number[] = [];
    for (let start = 0; start < groups.length; start += MAX_TIMED_PASSES) {
      const chunk = groups.slice(start, start + MAX_TIMED_PASSES);
      const count = chunk.length * 2;
      const querySet = device.createQuerySet({ type: 'timestamp', count });
      const resolve = device.createBuffer({ size: count * 8, usage: USAGE_QUERY_RESOLVE | USAGE_COPY_SRC });
      const readback = device.createBuffer({ size: count * 8, usage: USAGE_MAP_READ | USAGE_COPY_DST });
      try {
        await checkedSubmit(what, (encoder) => {
          chunk.forEach((group, i) => {
            const pass = encoder.beginComputePass({ timestampWrites: { querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } });
            for (const d of group) encodeDispatch(pass, d);
            pass.end();
          });
          encoder.resolveQuerySet(querySet, 0, count, resolve, 0);
          encoder.copyBufferToBuffer(resolve, 0, readback, 0, count * 8);
        });
        await guard(readback.mapAsync(MAP_MODE_READ));
        const stamps = new BigUint64Array(readback.getMappedRange().slice(0));
        readback.unmap();
        for (let i = 0; i < chunk.length; i++) times.push(Math.max(0, Number(stamps[2 * i + 1]! - stamps[2 * i]!)) / 1e6);
      } finally {
        querySet.destroy();
        resolve.destroy();
        readback.destroy();
      }
    }
    return times;
  };
  /** Host time of each pass group: submit, then wait for the queue to drain. */
  const hostTimePasses = async (what: string, groups: readonly (readonly EncodedDispatch[])[]): Promise<number[]> => {
    const times: number[] = [];
    for (const group of groups) {
      const start = performance.now();
      // checkedSubmit submits before its first await, so the clock covers submit -> done.
      const checked = checkedSubmit(what, (encoder) => {
        const pass = encoder.beginComputePass();
        for (const d of group) encodeDispatch(pass, d);
        pass.end();
      });
      const settled = await Promise.allSettled([checked, guard(device.queue.onSubmittedWorkDone())]);
      const elapsed = performance.now() - start;
      for (const r of settled) if (r.status === 'rejected') throw r.reason;
      times.push(elapsed);
    }
    return times;
  };

  return {
    plan,
    stats,
    run(inputs) {
      let write: () => void;
      try {
        ensureUsable();
        write = writeInputs(inputs, true);
      } catch (e) {
        return Promise.reject(e);
      }
      return serialize(async () => {
        write();
        const checked = checkedSubmit('run', (encoder) => {
          const pass = encoder.beginComputePass({ label: plan.name });
          for (const d of encoded) encodeDispatch(pass, d);
          pass.end();
          let at = 0;
          for (const t of plan.outputs) {
            const size = alignUp(t.slice.size, 4);
            encoder.copyBufferToBuffer(buffers[t.slice.buffer], t.slice.offset, staging, at, size);
            at += size;
          }
        });
        const mapped = guard(staging.mapAsync(MAP_MODE_READ));
        const [check, map] = await Promise.allSettled([checked, mapped]);
        if (check.status === 'rejected' || map.status === 'rejected') {
          if (staging.mapState === 'mapped') staging.unmap();
          throw check.status === 'rejected' ? check.reason : (map as PromiseRejectedResult).reason;
        }
        const bytes = new Uint8Array(staging.getMappedRange());
        const outputs: RunOutputs = {};
        let at = 0;
        for (const t of plan.outputs) {
          outputs[t.name] = outputArray(t, bytes.subarray(at, at + t.slice.size));
          at += alignUp(t.slice.size, 4);
        }
        staging.unmap();
        return outputs;
      });
    },
    profile(inputs, options) {
      let write: () => void;
      let method: TimingMethod;
      try {
        ensureUsable();
        write = writeInputs(inputs, inputs !== undefined);
        method = pickMethod(options?.method);
      } catch (e) {
        return Promise.reject(e);
      }
      return serialize(async () => {
        write();
        const groups = encoded.map((d) => [d]);
        const ms = method === 'timestamp' ? await timestampPasses('profile', groups) : await hostTimePasses('profile', groups);
        const dispatches = plan.dispatches.map((d, index) => ({ index, label: d.label, program: d.program, ms: ms[index]! }));
        return { method, dispatches, totalMs: ms.reduce((a, b) => a + b, 0) };
      });
    },
    timeDispatch(index, options) {
      let method: TimingMethod;
      const warmup = options?.warmup ?? 2;
      const repeats = options?.repeats ?? 10;
      try {
        ensureUsable();
        if (!Number.isInteger(index) || index < 0 || index >= encoded.length) {
          throw new WebGpuRuntimeError(`plan ${plan.name} has no dispatch ${index} (it has ${encoded.length})`);
        }
        if (!isCount(warmup) || !isCount(repeats) || repeats < 1) throw new WebGpuRuntimeError(`timing needs warmup >= 0 and repeats >= 1`);
        method = pickMethod(options?.method);
      } catch (e) {
        return Promise.reject(e);
      }
      return serialize(async () => {
        const d = encoded[index]!;
        if (warmup > 0) {
          await checkedSubmit('warm-up', (encoder) => {
            const pass = encoder.beginComputePass();
            for (let i = 0; i < warmup; i++) encodeDispatch(pass, d);
            pass.end();
          });
          await guard(device.queue.onSubmittedWorkDone());
        }
        const groups = Array.from({ length: repeats }, () => [d]);
        const samplesMs = method === 'timestamp' ? await timestampPasses('timing', groups) : await hostTimePasses('timing', groups);
        return { method, samplesMs, medianMs: median(samplesMs), minMs: Math.min(...samplesMs) };
      });
    },
    destroy() {
      if (destroyed) return;
      destroyed = true;
      for (const b of [...Object.values(buffers), staging]) b.destroy();
    },
  };
}

// ───────────────────────────── timing one program ─────────────────────────────

/** One candidate program to time alone, with buffers of the given sizes (contents zero). */
export interface ProgramTrial {
  readonly program: PlanProgram;
  readonly grid: readonly [number, number, number];
  /** Per binding, in order: storage bytes, or the u32 words of a uniform block. */
  readonly bindings: readonly ({ readonly bytes: number } | { readonly words: readonly number[] })[];
}

/**
 * The one-dispatch plan behind timeProgram: read-only bindings in `weights`, read_write ones in
 * `arena`, uniform blocks in `params`, each at an offset aligned for `limits`.
 */
export function trialPlan(trial: ProgramTrial, limits: GPUSupportedLimits | Readonly<Record<string, number>>): ExecutionPlan {
  const storageAlign = limitValue(limits, 'minStorageBufferOffsetAlignment') ?? 256;
  const uniformAlign = limitValue(limits, 'minUniformBufferOffsetAlignment') ?? 256;
  const ends: Record<BufferKind, number> = { weights: 0, arena: 0, io: 0, params: 0 };
  const params: number[] = [];
  const { program } = trial;
  if (trial.bindings.length !== program.bindings.length) {
    throw new WebGpuRuntimeError(`trial of program ${program.id} gives ${trial.bindings.length} bindings; the program declares ${program.bindings.length}`);
  }
  const slices = trial.bindings.map((b, i): PlanSlice => {
    const access = program.bindings[i]!.access;
    const buffer: BufferKind = access === 'uniform' ? 'params' : access === 'read' ? 'weights' : 'arena';
    const offset = alignUp(ends[buffer], buffer === 'params' ? uniformAlign : storageAlign);
    if ('words' in b) {
      if (buffer !== 'params') throw new WebGpuRuntimeError(`trial of program ${program.id}: binding ${i} is ${access} storage; give it bytes, not words`);
      while (params.length < offset / 4) params.push(0);
      params.push(...b.words);
      ends.params = offset + alignUp(b.words.length * 4, 16);
      return { buffer, offset, size: alignUp(b.words.length * 4, 16) };
    }
    if (buffer === 'params') throw new WebGpuRuntimeError(`trial of program ${program.id}: binding ${i} is a uniform block; give it words`);
    ends[buffer] = offset + b.bytes;
    return { buffer, offset, size: b.bytes };
  });
  return {
    format: EXPECTED_FORMAT,
    name: `trial:${program.id}`,
    alignment: storageAlign,
    weightsBytes: ends.weights,
    arenaBytes: ends.arena,
    ioBytes: 0,
    paramsBytes: Math.max(ends.params, params.length * 4),
    params,
    weights: [],
    inputs: [],
    outputs: [],
    programs: [program],
    dispatches: [{ program: program.id, grid: trial.grid, bindings: slices, label: program.id }],
    requires: { features: [], limits: {} },
  };
}

/** Compiles one program alone and times it (warm-up, repeats; median and min). */
export async function timeProgram(device: GPUDevice, trial: ProgramTrial, options?: TimingOptions): Promise<Timing> {
  const executor = await createExecutor(device, trialPlan(trial, device.limits));
  try {
    return await executor.timeDispatch(0, options);
  } finally {
    executor.destroy();
  }
}
