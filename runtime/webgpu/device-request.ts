import {
  WebGpuRuntimeError,
  adapterDisplayName,
  firstLine,
  planNeeds,
  planStructureProblems,
  requiredLimitsFor,
  unmetLimitsMessage,
  type LimitNeed,
} from './executor.js';
import type { ExecutionPlan } from './plan.js';

/*
 * From an adapter to a device that can run a plan, in Node and in the browser. Shipped inside
 * compiled artifacts next to executor.js, so it imports only that file at run time.
 */

/** What an adapter is, as the autotuner keys its records: stable across runs on one machine. */
export interface AdapterFingerprint {
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
  /** How Dawn reached it ('vulkan', 'opengl', ...; 'browser' for navigator.gpu). */
  readonly backend: string;
  readonly isFallbackAdapter: boolean;
  /** Short name for messages: "SwiftShader", "llvmpipe", or the driver's description. */
  readonly name: string;
  readonly features: readonly string[];
  readonly limits: Readonly<Record<string, number>>;
  /** One string of all of the above, for cache keys. */
  readonly key: string;
}

/** Reads every limit the implementation reports (WebIDL attributes are enumerable on the prototype). */
export function limitsRecord(limits: GPUSupportedLimits): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name in limits) {
    const value = (limits as unknown as Record<string, unknown>)[name];
    if (typeof value === 'number') out[name] = value;
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function describeAdapter(adapter: GPUAdapter, backend: string): AdapterFingerprint {
  const info = adapter.info;
  const features = [...adapter.features].map(String).sort();
  const limits = limitsRecord(adapter.limits);
  const base = {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    backend,
    isFallbackAdapter: !!info.isFallbackAdapter,
    name: adapterDisplayName(info),
    features,
    limits,
  };
  return { ...base, key: JSON.stringify(base) };
}

export interface DeviceRequirements {
  /** The plan the device must run: its limits and features are requested. */
  readonly plan?: ExecutionPlan;
  readonly requiredLimits?: Readonly<Record<string, number>>;
  readonly requiredFeatures?: readonly string[];
  /** Request every limit at the adapter's maximum (the autotuner explores configurations). */
  readonly maxLimits?: boolean;
  /** Ask for 'timestamp-query' when the adapter has it (default true): profiling needs it. */
  readonly timestamps?: boolean;
  readonly label?: string;
}

/** Limit needs of the requirements, each naming who needs it. */
export function requirementNeeds(req: DeviceRequirements): LimitNeed[] {
  const needs: LimitNeed[] = [];
  if (req.plan) {
    const problems = planStructureProblems(req.plan);
    if (problems.length) throw new WebGpuRuntimeError(problems[0]!);
    needs.push(...planNeeds(req.plan));
  }
  for (const [limit, value] of Object.entries(req.requiredLimits ?? {})) needs.push({ limit, value, who: 'the caller' });
  return needs;
}

/**
 * Requests a device with what the requirements need, failing with one line that names the first
 * unmet limit or feature (e.g. "program attention_0 needs 512 invocations per workgroup; SwiftShader allows 256").
 */
export async function requestDeviceFor(adapter: GPUAdapter, req: DeviceRequirements = {}): Promise<GPUDevice> {
  const name = adapterDisplayName(adapter.info);
  const needs = requirementNeeds(req);
  const unmet = unmetLimitsMessage(needs, adapter.limits, name);
  if (unmet) throw new WebGpuRuntimeError(unmet);
  const wanted = [...(req.requiredFeatures ?? []), ...(req.plan?.requires.features ?? [])];
  const missing = wanted.find((f) => !adapter.features.has(f));
  if (missing) {
    const who = req.plan?.requires.features.includes(missing) ? `plan ${req.plan.name}` : 'the caller';
    throw new WebGpuRuntimeError(`${who} needs feature ${missing}; ${name} does not offer it`);
  }
  if (req.timestamps !== false && adapter.features.has('timestamp-query')) wanted.push('timestamp-query');
  const requiredLimits = req.maxLimits ? limitsRecord(adapter.limits) : requiredLimitsFor(needs);
  try {
    return await adapter.requestDevice({
      label: req.label ?? name,
      requiredFeatures: [...new Set(wanted)] as GPUFeatureName[],
      requiredLimits,
    });
  } catch (e) {
    throw new WebGpuRuntimeError(`${name} refused to create a device: ${firstLine(e instanceof Error ? e.message : String(e))}`);
  }
}
