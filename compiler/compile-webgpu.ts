import { emitWebGpu, type EmittedModel, type ScheduleChooser } from '../codegen/emit-webgpu.js';
import { planKernels } from '../codegen/plan/planner.js';
import type { KernelPlan } from '../codegen/plan/types.js';
import { type TargetLimits, WEBGPU_DEFAULT_LIMITS } from '../codegen/schedule/limits.js';
import type { Graph } from '../ir/graph.js';
import { loweringPipeline } from './lowering-pipeline.js';
import { runPipeline } from './pass-manager.js';
import { parsePipeline } from './pipeline.js';

export interface WebGpuCompileOptions {
  /** The batch size the kernels are specialised for (the symbolic batch is bound to it). */
  readonly batch?: number;
  /** Limits to respect: the adapter's when compiling for one, else WebGPU's defaults. */
  readonly limits?: TargetLimits;
  readonly choose?: ScheduleChooser;
}

export interface WebGpuCompileResult extends EmittedModel {
  /** The graph the kernels implement (after the lowering passes). */
  readonly graph: Graph;
  readonly kernelPlan: KernelPlan;
  /** The batch size the kernels were specialised for. */
  readonly batch: number;
}

/** Graph → lowering passes → fused kernels → WGSL + execution plan. */
export function compileWebGpu(g: Graph, opts: WebGpuCompileOptions = {}): WebGpuCompileResult {
  const batch = opts.batch ?? 1;
  const lowered = runPipeline(g, parsePipeline(loweringPipeline(batch))).graph;
  const kernelPlan = planKernels(lowered);
  const emitted = emitWebGpu(kernelPlan, { limits: opts.limits ?? WEBGPU_DEFAULT_LIMITS, ...(opts.choose ? { choose: opts.choose } : {}) });
  return { ...emitted, graph: lowered, kernelPlan, batch };
}
