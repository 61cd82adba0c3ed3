import type { StructuralWorkload } from '../workload/structural.js';
import type { TargetLimits } from './limits.js';

/** Transposed convolution: one output element per invocation, 1-D workgroups of `wg`. */
export interface ConvTransposeSchedule {
  readonly kind: 'conv_transpose';
  readonly wg: number;
}

/**
 * Cascaded group attention: one workgroup of `wg` invocations per window, each owning
 * ceil(N / wg) query tokens; `chunk` output rows per token accumulate in registers at a time
 * (absent in records from before the knob: 8).
 */
export interface CascadedAttentionSchedule {
  readonly kind: 'cascaded_attention';
  readonly wg: number;
  readonly chunk?: number;
  /** 4: channels move as vec4s where the channel counts allow (absent: 4); 1: scalars. */
  readonly vec?: 1 | 4;
}

/** Depthwise + 1x1 convolution: `tokens` output positions per workgroup of `wg` invocations. */
export interface DwPointwiseSchedule {
  readonly kind: 'dw_pointwise';
  readonly wg: number;
  readonly tokens: number;
}

export type StructuralSchedule = ConvTransposeSchedule | CascadedAttentionSchedule | DwPointwiseSchedule;

const pow2Below = (x: number) => 2 ** Math.floor(Math.log2(Math.max(1, x)));

/** Heuristic schedules for the structural workloads, valid for `limits`. */
export function defaultStructuralSchedule(w: StructuralWorkload, limits: TargetLimits): StructuralSchedule {
  const maxInv = limits.maxComputeInvocationsPerWorkgroup;
  switch (w.kind) {
    case 'conv_transpose':
      return { kind: 'conv_transpose', wg: Math.min(64, maxInv) };
    case 'cascaded_attention':
      // Four tokens per invocation (register-tiled: each load serves four tokens), 16 at least.
      return { kind: 'cascaded_attention', wg: Math.min(Math.max(16, Math.ceil((w.height * w.width) / 4)), maxInv, limits.maxComputeWorkgroupSizeX), chunk: 8, vec: 4 };
    case 'dw_pointwise': {
      // The depthwise results of `tokens` positions for every channel live in workgroup memory.
      const fit = Math.floor(limits.maxComputeWorkgroupStorageSize / 4 / w.channels);
      const positions = w.outSize[0] * w.outSize[1];
      const tokens = Math.max(1, Math.min(16, pow2Below(fit), pow2Below(positions)));
      return { kind: 'dw_pointwise', wg: Math.min(64, maxInv), tokens };
    }
  }
}
