import type { Workload } from '../workload/types.js';
import type { TargetLimits } from './limits.js';
import { defaultStructuralSchedule } from './structural.js';
import type { AttentionSchedule, ElementwiseSchedule, GatherSchedule, MatmulSchedule, ReduceSchedule, RowSchedule, ScatterAddSchedule, Schedule, TopKSchedule } from './types.js';

const pow2Below = (x: number) => 2 ** Math.floor(Math.log2(Math.max(1, x)));

/**
 * Heuristic schedule per workload class, valid for the given limits. These are what an untuned
 * compile uses and where the autotuner starts. Unrolling stays moderate: SwiftShader's shader
 * compile time grows faster than linearly with the unrolled body (a 4-key attention tile took
 * seconds to compile there), and time to first inference matters as much as steady speed.
 */
export function defaultSchedule(w: Workload, limits: TargetLimits): Schedule {
  const maxInv = limits.maxComputeInvocationsPerWorkgroup;
  switch (w.kind) {
    case 'matmul': {
      const vec = w.n % 4 === 0 ? 4 : 1;
      const tm = w.m >= 32 ? 4 : w.m >= 8 ? 2 : 1;
      const tn = vec === 4 ? (w.n >= 64 ? 8 : 4) : w.n >= 16 ? 2 : 1;
      let wgX = Math.min(8, pow2Below(Math.ceil(w.n / tn)));
      let wgY = Math.min(8, pow2Below(Math.ceil(w.m / tm)));
      while (wgX * wgY > maxInv) wgY > 1 ? (wgY /= 2) : (wgX /= 2);
      // Enough invocations per workgroup to fill SIMD lanes on CPU adapters.
      while (wgX * wgY < 16 && wgX * 2 * wgY <= maxInv) wgX *= 2;
      const s: MatmulSchedule = { kind: 'matmul', wgX, wgY, tm, tn, vec: vec as 1 | 4, kUnroll: w.k % 2 === 0 ? 2 : 1, interleave: false };
      return s;
    }
    case 'elementwise': {
      const s: ElementwiseSchedule = { kind: 'elementwise', wg: Math.min(64, maxInv), vec: 4 };
      return s;
    }
    case 'row': {
      const wg = Math.min(64, maxInv);
      const s: RowSchedule = { kind: 'row', wg, threadsPerRow: Math.min(wg, pow2Below(Math.ceil(w.cols / 8))) };
      return s;
    }
    case 'reduce': {
      const s: ReduceSchedule = { kind: 'reduce', wg: Math.min(64, maxInv) };
      return s;
    }
    case 'attention': {
      // Four query rows per invocation share each K/V load and key-at-a-time tiles keep the body
      // small: on llvmpipe (ViT-Ti/16) this cut attention's CPU time by about half against two
      // rows and two-key tiles, on SwiftShader by about 40%, with no slower pipeline creation.
      const long = w.tq >= 64;
      const s: AttentionSchedule = { kind: 'attention', rows: Math.min(long ? 16 : 32, maxInv, pow2Below(w.tq) * 2), kvTile: 1, rowsPerThread: long ? 4 : 1 };
      return s;
    }
    case 'conv_transpose':
    case 'cascaded_attention':
    case 'dw_pointwise':
      return defaultStructuralSchedule(w, limits);
    case 'top_k': {
      // One workgroup per row: enough invocations to share the row, none idle on short rows.
      const s: TopKSchedule = { kind: 'top_k', wg: Math.min(64, maxInv, pow2Below(w.n - 1) * 2), staged: w.n * 4 <= limits.maxComputeWorkgroupStorageSize / 2 };
      return s;
    }
    case 'gather': {
      const s: GatherSchedule = { kind: 'gather', wg: Math.min(64, maxInv) };
      return s;
    }
    case 'scatter_add': {
      const s: ScatterAddSchedule = { kind: 'scatter_add', wg: Math.min(64, maxInv) };
      return s;
    }
  }
}
