import { defaultSchedule } from '../schedule/defaults.js';
import type { TargetLimits } from '../schedule/limits.js';
import type { Schedule } from '../schedule/types.js';
import type { Workload } from '../workload/types.js';

/**
 * The heuristic schedule for a CUDA kernel: the WebGPU defaults, except that cascaded attention
 * gives each thread one token, in whole warps. The WebGPU default tiles four tokens per
 * invocation, which suits SIMD CPU drivers (every load serves four tokens) but needs more
 * registers than an SM grants a thread at the launch bounds vitc asks for (ptxas spilled
 * 92–456 bytes on the EfficientViT fixtures); a GPU hides the extra loads instead.
 */
export function cudaDefaultSchedule(w: Workload, limits: TargetLimits): Schedule {
  const s = defaultSchedule(w, limits);
  if (w.kind !== 'cascaded_attention' || s.kind !== 'cascaded_attention') return s;
  const tokens = w.height * w.width;
  return { ...s, wg: Math.min(Math.ceil(tokens / 32) * 32, limits.maxComputeInvocationsPerWorkgroup), chunk: 4 };
}
