import type { TargetLimits } from '../schedule/limits.js';

/**
 * What every CUDA device of compute capability 8.0 or newer allows a kernel: 1024 threads per
 * block, 48 KiB of static shared memory, 65535 blocks along grid y and z (x allows 2^31 - 1, but
 * the lowerings split 1-D grids at 65535 for WebGPU's sake). Buffers are indexed with u32 element
 * indices, which bounds a binding at 4 GiB. Offsets keep WebGPU's 256-byte alignment, which also
 * satisfies float4 loads.
 */
export const CUDA_LIMITS: TargetLimits = {
  maxComputeInvocationsPerWorkgroup: 1024,
  maxComputeWorkgroupSizeX: 1024,
  maxComputeWorkgroupSizeY: 1024,
  maxComputeWorkgroupSizeZ: 64,
  maxComputeWorkgroupStorageSize: 48 * 1024,
  maxComputeWorkgroupsPerDimension: 65535,
  // Kernel parameters are 8-byte pointers in at most 4 KiB (CUDA 12.1+ allows 32 KiB).
  maxStorageBuffersPerShaderStage: 512,
  maxStorageBufferBindingSize: 2 ** 32 - 4,
  maxBufferSize: 2 ** 40,
  minStorageBufferOffsetAlignment: 256,
};
