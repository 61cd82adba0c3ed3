import { createHash } from 'node:crypto';
import type { ExecutionPlan, PlanProgram, PlanSlice } from '../../../runtime/webgpu/plan.js';

/*
 * A hand-written plan for the WebGPU runtime tests: a two-layer MLP
 *   hidden = relu(x W1 + b1),  logits = hidden W2 + b2
 * in four dispatches of two WGSL programs (matmul, bias+activation). Intermediates live in the
 * arena at aligned, non-zero offsets; x, hidden and logits live in io; the four uniform blocks in
 * params. The second matmul uses a duplicate program entry (same source and hash) so pipeline
 * deduplication is observable.
 */

export const MATMUL_WGSL = `
struct Dims { m: u32, k: u32, n: u32, pad: u32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<uniform> dims: Dims;

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let row = gid.y;
  let col = gid.x;
  if (row >= dims.m || col >= dims.n) { return; }
  var acc = 0.0;
  for (var i = 0u; i < dims.k; i++) {
    acc += x[row * dims.k + i] * w[i * dims.n + col];
  }
  y[row * dims.n + col] = acc;
}
`;

export const BIAS_ACT_WGSL = `
struct Shape { count: u32, n: u32, relu: u32, pad: u32 }
@group(0) @binding(0) var<storage, read> t: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> shape: Shape;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x;
  if (i >= shape.count) { return; }
  let v = t[i] + b[i % shape.n];
  out[i] = select(v, max(v, 0.0), shape.relu != 0u);
}
`;

export function sha256(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Deterministic values in [-1, 1). */
export function seededValues(count: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 2 ** 32) * 2 - 1;
  }
  return out;
}

export const M = 3;
export const K = 37;
export const H = 70;
export const N = 10;

export interface MlpCase {
  readonly plan: ExecutionPlan;
  readonly sources: Map<string, string>;
  readonly weights: Map<string, Uint8Array>;
  /** Straightforward float64 evaluation of the MLP. */
  reference(x: Float32Array): { hidden: Float64Array; logits: Float64Array };
}

function bytesOf(a: Float32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

export function program(id: string, source: string, file: string, workgroupSize: [number, number, number], embed = false): PlanProgram {
  return {
    id,
    ...(embed ? { source } : { file }),
    entryPoint: 'main',
    workgroupSize,
    bindings: [{ access: 'read' }, { access: 'read' }, { access: 'read_write' }, { access: 'uniform' }],
    workgroupBytes: 0,
    hash: sha256(source),
  };
}

/** Places slices one after another at `alignment`. */
class Allocator {
  end = 0;
  constructor(
    readonly buffer: PlanSlice['buffer'],
    readonly alignment: number,
  ) {}
  take(size: number): PlanSlice {
    const offset = Math.ceil(this.end / this.alignment) * this.alignment;
    this.end = offset + size;
    return { buffer: this.buffer, offset, size };
  }
}

export function mlpCase(options: { embedSources?: boolean; alignment?: number } = {}): MlpCase {
  const alignment = options.alignment ?? 256;
  const w1 = seededValues(K * H, 1);
  const b1 = seededValues(H, 2);
  const w2 = seededValues(H * N, 3);
  const b2 = seededValues(N, 4);
  const weightsAlloc = new Allocator('weights', alignment);
  const placed = { w1: weightsAlloc.take(w1.byteLength), b1: weightsAlloc.take(b1.byteLength), w2: weightsAlloc.take(w2.byteLength), b2: weightsAlloc.take(b2.byteLength) };
  const io = new Allocator('io', alignment);
  const x = io.take(M * K * 4);
  const hidden = io.take(M * H * 4);
  const logits = io.take(M * N * 4);
  const arena = new Allocator('arena', alignment);
  arena.take(48); // keeps the intermediates off offset 0
  const t1 = arena.take(M * H * 4);
  const t2 = arena.take(M * N * 4);
  const params = new Allocator('params', 256);
  const words: number[] = [];
  const block = (values: number[]): PlanSlice => {
    const slice = params.take(16);
    while (words.length < slice.offset / 4) words.push(0);
    words.push(...values);
    return slice;
  };
  const dims1 = block([M, K, H, 0]);
  const act1 = block([M * H, H, 1, 0]);
  const dims2 = block([M, H, N, 0]);
  const act2 = block([M * N, N, 0, 0]);
  const embed = options.embedSources ?? false;
  const plan: ExecutionPlan = {
    format: 'vitc-webgpu-plan/1',
    name: 'mlp',
    alignment,
    weightsBytes: weightsAlloc.end,
    arenaBytes: arena.end,
    ioBytes: io.end,
    paramsBytes: params.end,
    params: words,
    weights: Object.entries(placed).map(([key, s]) => ({ key, offset: s.offset, size: s.size })),
    inputs: [{ name: 'x', dtype: 'f32', shape: [M, K], slice: x }],
    outputs: [
      { name: 'hidden', dtype: 'f32', shape: [M, H], slice: hidden },
      { name: 'logits', dtype: 'f32', shape: [M, N], slice: logits },
    ],
    programs: [
      program('matmul', MATMUL_WGSL, 'matmul.wgsl', [8, 8, 1], embed),
      program('bias_act', BIAS_ACT_WGSL, 'bias_act.wgsl', [64, 1, 1], embed),
      program('matmul_again', MATMUL_WGSL, 'matmul.wgsl', [8, 8, 1], embed),
    ],
    dispatches: [
      { program: 'matmul', grid: [Math.ceil(H / 8), Math.ceil(M / 8), 1], bindings: [x, placed.w1, t1, dims1], label: 'fc1' },
      { program: 'bias_act', grid: [Math.ceil((M * H) / 64), 1, 1], bindings: [t1, placed.b1, hidden, act1], label: 'fc1.bias_relu' },
      { program: 'matmul_again', grid: [Math.ceil(N / 8), Math.ceil(M / 8), 1], bindings: [hidden, placed.w2, t2, dims2], label: 'fc2' },
      { program: 'bias_act', grid: [Math.ceil((M * N) / 64), 1, 1], bindings: [t2, placed.b2, logits, act2], label: 'fc2.bias' },
    ],
    requires: { features: [], limits: {} },
  };
  const reference = (input: Float32Array) => {
    const h = new Float64Array(M * H);
    const y = new Float64Array(M * N);
    for (let r = 0; r < M; r++) {
      for (let c = 0; c < H; c++) {
        let acc = 0;
        for (let i = 0; i < K; i++) acc += input[r * K + i]! * w1[i * H + c]!;
        h[r * H + c] = Math.max(acc + b1[c]!, 0);
      }
      for (let c = 0; c < N; c++) {
        let acc = 0;
        for (let i = 0; i < H; i++) acc += h[r * H + i]! * w2[i * N + c]!;
        y[r * N + c] = acc + b2[c]!;
      }
    }
    return { hidden: h, logits: y };
  };
  return {
    plan,
    sources: new Map([
      ['matmul', MATMUL_WGSL],
      ['bias_act', BIAS_ACT_WGSL],
      ['matmul_again', MATMUL_WGSL],
    ]),
    weights: new Map([
      ['w1', bytesOf(w1)],
      ['b1', bytesOf(b1)],
      ['w2', bytesOf(w2)],
      ['b2', bytesOf(b2)],
    ]),
    reference,
  };
}

/** Largest violation of |actual - expected| <= atol + rtol |expected|, with where it happened. */
export function assertClose(actual: ArrayLike<number> | undefined, expected: ArrayLike<number>, what: string, rtol = 1e-5, atol = 1e-5): void {
  if (!actual) throw new Error(`${what}: missing`);
  if (actual.length !== expected.length) throw new Error(`${what}: length ${actual.length}, expected ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) throw new Error(`${what}[${i}] = ${a}, expected ${e}`);
  }
}
