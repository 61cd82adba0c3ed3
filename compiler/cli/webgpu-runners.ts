import type { DType } from '../../ir/dtype.js';
import { VitcError } from '../../ir/errors.js';
import type { Graph } from '../../ir/graph.js';
import { Tensor } from '../../ir/tensor.js';
import { targetLimitsOf } from '../../codegen/schedule/limits.js';
import { acquireDevice, type AdapterFingerprint } from '../../runtime/webgpu/adapters.js';
import { loadArtifact } from '../../runtime/webgpu/artifact-runtime.js';
import { createExecutor, type InputArray, type RunOutputs } from '../../runtime/webgpu/executor.js';
import type { PlanDType, PlanTensor } from '../../runtime/webgpu/plan.js';
import { compileWebGpu, type WebGpuCompileResult } from '../compile-webgpu.js';
import type { ModelRunner } from './runners.js';
import type { TensorSpec } from './tensor-specs.js';

/*
 * Runners on WebGPU (Dawn), in their own module: loading Dawn and the code generator costs time
 * that interpreter runs should not pay.
 */

export interface WebGpuRunner extends ModelRunner {
  readonly adapter: AdapterFingerprint;
  /** The device it runs on (released by close()). */
  readonly device: GPUDevice;
  readonly compiled: WebGpuCompileResult;
  readonly compileMs: number;
}

export function describeAdapterUse(a: AdapterFingerprint): string {
  return `WebGPU on ${a.name} (${a.backend})`;
}

/**
 * Compiles the graph in memory for the batch and the chosen adapter's limits, and loads it on a
 * device of that adapter. No fallback: when no adapter can be had this fails.
 */
export async function webGpuRunner(g: Graph, opts: { adapter: string; batch: number }): Promise<WebGpuRunner> {
  const acquired = await acquireDevice({ adapter: opts.adapter, maxLimits: true, label: g.name });
  try {
    const t0 = performance.now();
    const compiled = compileWebGpu(g, { batch: opts.batch, limits: targetLimitsOf(acquired.device.limits) });
    const compileMs = performance.now() - t0;
    const executor = await createExecutor(acquired.device, compiled.plan, compiled.sources, compiled.weights);
    return {
      description: describeAdapterUse(acquired.fingerprint),
      adapter: acquired.fingerprint,
      device: acquired.device,
      compiled,
      compileMs,
      inputs: compiled.plan.inputs.map(planSpec),
      outputs: compiled.plan.outputs.map(planSpec),
      run: async (inputs) => fromPlanOutputs(compiled.plan.outputs, await executor.run(toPlanInputs(compiled.plan.inputs, inputs))),
      close() {
        executor.destroy();
        acquired.release();
      },
    };
  } catch (e) {
    acquired.release();
    throw e;
  }
}

/** Loads a compiled artifact folder on the chosen adapter. */
export async function artifactRunner(dir: string, opts: { adapter: string }): Promise<ModelRunner> {
  const artifact = await loadArtifact(dir, { adapter: opts.adapter });
  const { info } = artifact;
  return {
    description: info.adapter ? describeAdapterUse(info.adapter) : 'WebGPU',
    inputs: info.inputs.map(planSpec),
    outputs: info.outputs.map(planSpec),
    run: async (inputs) => fromPlanOutputs(info.outputs, await artifact.run(toPlanInputs(info.inputs, inputs))),
    close: () => artifact.destroy(),
  };
}

const PLAN_DTYPES: Readonly<Record<PlanDType, DType | undefined>> = { f32: 'f32', f16: undefined, i32: 'i32', u32: undefined };

function planDType(t: PlanTensor): DType {
  const d = PLAN_DTYPES[t.dtype];
  if (!d) throw new VitcError(`tensor '${t.name}' has element type ${t.dtype}, which the CLI cannot exchange`);
  return d;
}

function planSpec(t: PlanTensor): TensorSpec {
  return { name: t.name, dtype: planDType(t), shape: t.shape };
}

function toPlanInputs(specs: readonly PlanTensor[], inputs: ReadonlyMap<string, Tensor>): Record<string, InputArray> {
  const out: Record<string, InputArray> = {};
  for (const s of specs) {
    const t = inputs.get(s.name);
    if (!t) throw new VitcError(`input '${s.name}' is not given`);
    if (t.shape.length !== s.shape.length || t.shape.some((d, i) => d !== s.shape[i]))
      throw new VitcError(`input '${s.name}' has shape [${t.shape.join(',')}]; the compiled model takes [${s.shape.join(',')}]`);
    out[s.name] = t.data as InputArray;
  }
  return out;
}

function fromPlanOutputs(specs: readonly PlanTensor[], outputs: RunOutputs): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const s of specs) {
    const data = outputs[s.name];
    if (!data) throw new Error(`the executor returned no output '${s.name}'`);
    out.set(s.name, new Tensor(planDType(s), s.shape, data as Float32Array | Int32Array));
  }
  return out;
}
