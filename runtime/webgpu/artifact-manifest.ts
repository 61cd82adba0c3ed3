import type { ExecutionPlan } from './plan.js';

/**
 * `manifest.json` of a compiled WebGPU artifact. The folder holds this manifest, one `.wgsl` file
 * per distinct program (named by `plan.programs[i].file`), the weights as safetensors, and the
 * runtime files (runtime-files.ts). Plain JSON data.
 */
export const ARTIFACT_FORMAT = 'vitc-webgpu-artifact/1';

export interface ArtifactManifest {
  readonly format: typeof ARTIFACT_FORMAT;
  /** What wrote it (vitc and its version); absent in hand-assembled folders. */
  readonly producer?: { readonly name: string; readonly version: string };
  /** The batch size the kernels were compiled for (every shape in the plan is fixed). */
  readonly batch?: number;
  /**
   * What the device must offer: the plan's features and every limit it relies on, as
   * requestDevice's requiredLimits would ask for them (alignments: the largest value that works).
   */
  readonly requires?: { readonly features: readonly string[]; readonly limits: Readonly<Record<string, number>> };
  /** The ES module entry point (model.js) and its type declarations. */
  readonly entry?: { readonly module: string; readonly types: string };
  /** The plan; its programs carry `file` (relative to the manifest) instead of `source`. */
  readonly plan: ExecutionPlan;
  /** The safetensors file holding every key of `plan.weights`. */
  readonly weights: string;
  /**
   * Lowercase hex sha-256 of files by relative path: at least every file the runtime loads (the
   * program files and the weights); vitc lists every file of the folder but the manifest.
   */
  readonly files: Readonly<Record<string, string>>;
}
