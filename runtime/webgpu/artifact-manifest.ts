import type { ExecutionPlan } from './plan.js';

/**
 * `manifest.json` of a compiled WebGPU artifact. The folder holds this manifest, one `.wgsl` file
 * per distinct program (named by `plan.programs[i].file`), the weights as safetensors, and the
 * runtime files (runtime-files.ts). Plain JSON data.
 */
export const ARTIFACT_FORMAT = 'vitc-webgpu-artifact/1';

export interface ArtifactManifest {
  readonly format: typeof ARTIFACT_FORMAT;
  /** The plan; its programs carry `file` (relative to the manifest) instead of `source`. */
  readonly plan: ExecutionPlan;
  /** The safetensors file holding every key of `plan.weights`. */
  readonly weights: string;
  /** Lowercase hex sha-256 of each file the runtime loads (every program file and the weights), by relative path. */
  readonly files: Readonly<Record<string, string>>;
}
