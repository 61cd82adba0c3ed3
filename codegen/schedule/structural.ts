import type { StructuralWorkload } from '../workload/structural.js';
import type { TargetLimits } from './limits.js';

/** Transposed convolution: one output element per invocation, 1-D workgroups of `wg`. */
export interface ConvTransposeSchedule {
  readonly kind: 'conv_transpose';
  readonly wg: number;
}

/** Cascaded group attention: one workgroup of `wg` invocations per window. */
export interface CascadedAttentionSchedule {
  readonly kind: 'cascaded_attention';
  readonly wg: number;
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
      // Few windows, each a long sequence of phases: as many invocations as a workgroup may have.
      return { kind: 'cascaded_attention', wg: Math.min(256, maxInv, limits.maxComputeWorkgroupSizeX) };
    case 'dw_pointwise': {
      // The depthwise results of `tokens` positions for every channel live in workgroup memory.
      const fit = Math.floor(limits.maxComputeWorkgroupStorageSize / 4 / w.channels);
      const positions = w.outSize[0] * w.outSize[1];
      const tokens = Math.max(1, Math.min(16, pow2Below(fit), pow2Below(positions)));
      return { kind: 'dw_pointwise', wg: Math.min(64, maxInv), tokens };
    }
  }
}
