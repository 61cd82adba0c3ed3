/**
 * The device limits code generation respects. `WEBGPU_DEFAULT_LIMITS` are the limits every
 * WebGPU implementation guarantees: an artifact compiled against them runs anywhere.
 */
export interface TargetLimits {
  readonly maxComputeInvocationsPerWorkgroup: number;
  readonly maxComputeWorkgroupSizeX: number;
  readonly maxComputeWorkgroupSizeY: number;
  readonly maxComputeWorkgroupSizeZ: number;
  readonly maxComputeWorkgroupStorageSize: number;
  readonly maxComputeWorkgroupsPerDimension: number;
  readonly maxStorageBuffersPerShaderStage: number;
  readonly maxStorageBufferBindingSize: number;
  readonly maxBufferSize: number;
  readonly minStorageBufferOffsetAlignment: number;
}

export const WEBGPU_DEFAULT_LIMITS: TargetLimits = {
  maxComputeInvocationsPerWorkgroup: 256,
  maxComputeWorkgroupSizeX: 256,
  maxComputeWorkgroupSizeY: 256,
  maxComputeWorkgroupSizeZ: 64,
  maxComputeWorkgroupStorageSize: 16384,
  maxComputeWorkgroupsPerDimension: 65535,
  maxStorageBuffersPerShaderStage: 8,
  maxStorageBufferBindingSize: 134217728,
  maxBufferSize: 268435456,
  minStorageBufferOffsetAlignment: 256,
};

/** The TargetLimits fields of an adapter's (or device's) limits. */
export function targetLimitsOf(limits: Readonly<Record<string, number>> | GPUSupportedLimits): TargetLimits {
  const get = (k: keyof TargetLimits): number => {
    const v = (limits as unknown as Record<string, unknown>)[k];
    return typeof v === 'number' ? v : WEBGPU_DEFAULT_LIMITS[k];
  };
  return Object.fromEntries(Object.keys(WEBGPU_DEFAULT_LIMITS).map((k) => [k, get(k as keyof TargetLimits)])) as unknown as TargetLimits;
}
