import * as webgpu from 'webgpu';
import { acquireDawnDevice, listAdapters, type AcquiredDevice, type AdapterChoice, type DawnAdapterOptions, type FoundAdapter } from './dawn-adapters.js';
import type { DeviceRequirements } from './device-request.js';

/*
 * WebGPU devices for vitc's own Node processes (tests, autotuner, benchmarks), through Dawn.
 * The logic lives in dawn-adapters.ts, which compiled artifacts ship; this file binds it to the
 * installed `webgpu` package.
 */

export { describeAdapter, type AdapterFingerprint, type DeviceRequirements } from './device-request.js';
export { findSwiftShaderIcd, type AcquiredDevice, type AdapterChoice } from './dawn-adapters.js';

export interface AcquireOptions extends DeviceRequirements, DawnAdapterOptions {
  /** 'auto' (default), 'llvmpipe', 'swiftshader', or a substring of the adapter's vendor/architecture/device/description. */
  readonly adapter?: AdapterChoice;
}

/** A device on the chosen adapter with the limits and features the requirements need. */
export function acquireDevice(options: AcquireOptions = {}): Promise<AcquiredDevice> {
  return acquireDawnDevice(webgpu, options);
}

/** The adapters reachable here (a real GPU, llvmpipe, SwiftShader), for listings and errors. */
export function availableAdapters(): Promise<FoundAdapter[]> {
  return listAdapters(webgpu);
}
