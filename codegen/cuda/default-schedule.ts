import { defaultSchedule } from '../schedule/defaults.js';
import type { TargetLimits } from '../schedule/limits.js';
import type { AttentionSchedule, MatmulSchedule, Schedule } from '../schedule/types.js';
import type { MatmulWorkload, Workload } from '../workload/types.js';

const pow2Below = (x: number) => 2 ** Math.floor(Math.log2(Math.max(1, x)));

/** Threads a GEMM launch should have before split-K stops adding K layers (an H100 holds 270k resident). */
const GEMM_THREADS_WANTED = 32768;
/** Shortest K slice a split-K layer gets: shorter ones cost more to combine than they save. */
const MIN_K_PER_LAYER = 64;

/**
 * The heuristic schedule for a CUDA kernel. The WebGPU defaults suit CPU adapters, which want few
 * wide invocations that each reuse many loads; a GPU wants the opposite, tens of thousands of
 * threads. On an H100 the WebGPU defaults launched ViT-Ti/16's attention as 12 blocks of 16
 * threads (11 of the model's 14 ms) and its GEMMs as 21–84 blocks. So:
 * - attention: one query row per thread, 32 rows per block, keys in tiles of 4;
 * - matmul, where the default launches fewer than GEMM_THREADS_WANTED threads: small 1×vec tiles
 *   in 8×8 blocks, then split-K layers while still short of that and each layer keeps
 *   MIN_K_PER_LAYER of K;
 * - cascaded attention: one token per thread in whole warps (the WebGPU default's four tokens
 *   per invocation needed more registers than the launch bounds grant: ptxas spilled 92–456
 *   bytes on the EfficientViT fixtures).
 */
export function cudaDefaultSchedule(w: Workload, limits: TargetLimits): Schedule {
  const s = defaultSchedule(w, limits);
  switch (w.kind) {
    case 'attention': {
      // Four-key tiles (eight spilled on the small fixtures' attention): the online softmax rescales the accumulators once per tile, not per key.
      const a: AttentionSchedule = { kind: 'attention', rows: Math.min(32, limits.maxComputeInvocationsPerWorkgroup, pow2Below(w.tq) * 2), kvTile: Math.min(4, w.tk), rowsPerThread: 1 };
      return a;
    }
    case 'matmul':
      // Re-tile only where the default would leave the GPU idle; large GEMMs keep the default's
      // bigger register tiles, which reuse each load more.
      return s.kind === 'matmul' && threadsOf(w, s) >= GEMM_THREADS_WANTED ? s : gpuMatmul(w, limits);
    case 'cascaded_attention': {
      if (s.kind !== 'cascaded_attention') return s;
      const tokens = w.height * w.width;
      return { ...s, wg: Math.min(Math.ceil(tokens / 32) * 32, limits.maxComputeInvocationsPerWorkgroup), chunk: 4 };
    }
    default:
      return s;
  }
}

function threadsOf(w: MatmulWorkload, s: MatmulSchedule): number {
  const vec = s.vec === 4 && w.n % 4 === 0 && s.tn % 4 === 0 ? 4 : 1;
  const tn = Math.max(vec, s.tn - (s.tn % vec));
  const outputs = Math.ceil(w.n / (s.wgX * tn)) * s.wgX * Math.ceil(w.m / (s.wgY * s.tm)) * s.wgY;
  return outputs * (s.kSplit ?? 1) * w.batch.reduce((a, b) => a * b, 1);
}

function gpuMatmul(w: MatmulWorkload, limits: TargetLimits): MatmulSchedule {
  const vec = w.n % 4 === 0 ? 4 : 1;
  const maxInv = limits.maxComputeInvocationsPerWorkgroup;
  let wgY = Math.min(8, pow2Below(w.m));
  let wgX = Math.min(64 / wgY, pow2Below(Math.ceil(w.n / vec)));
  while (wgX * wgY > maxInv) wgY > 1 ? (wgY /= 2) : (wgX /= 2);
  const blocks = Math.ceil(w.n / (wgX * vec)) * Math.ceil(w.m / wgY) * w.batch.reduce((a, b) => a * b, 1);
  const bytes = (split: number) => ((w.prologue ? wgY * wgX * split + 2 * wgY : 0) + (split - 1) * wgX * wgY * vec) * 4;
  let kSplit = 1;
  while (
    blocks * wgX * wgY * kSplit < GEMM_THREADS_WANTED &&
    w.k / (kSplit * 2) >= MIN_K_PER_LAYER &&
    wgX * wgY * kSplit * 2 <= maxInv &&
    kSplit * 2 <= limits.maxComputeWorkgroupSizeZ &&
    bytes(kSplit * 2) <= limits.maxComputeWorkgroupStorageSize
  )
    kSplit *= 2;
  return { kind: 'matmul', wgX, wgY, tm: 1, tn: vec, vec: vec as 1 | 4, kUnroll: w.k % 2 === 0 ? 2 : 1, interleave: false, kSplit };
}
