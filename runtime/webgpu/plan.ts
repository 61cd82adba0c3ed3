/**
 * The execution plan a compiled model hands to the WebGPU runtime. Plain JSON data: the runtime
 * never sees the graph IR, only programs, buffers and an ordered list of dispatches.
 * Written to `manifest.json` in a compiled artifact (with file hashes and device requirements).
 */
export const PLAN_FORMAT = 'vitc-webgpu-plan/1';

export type PlanDType = 'f32' | 'f16' | 'i32' | 'u32';

/** One compute program (a WGSL module with one entry point). */
export interface PlanProgram {
  readonly id: string;
  /** WGSL source (in memory) — in an artifact, `file` names it instead and `source` is absent. */
  readonly source?: string;
  readonly file?: string;
  readonly entryPoint: string;
  readonly workgroupSize: readonly [number, number, number];
  /** Bindings of group 0, in binding order. `uniform` bindings carry small parameter blocks. */
  readonly bindings: readonly { readonly access: 'read' | 'read_write' | 'uniform' }[];
  /** Bytes of workgroup memory the program declares (checked against the device limit). */
  readonly workgroupBytes: number;
  /** Content hash of the source: the pipeline cache key. */
  readonly hash: string;
}

/**
 * Where a binding's bytes live. The runtime owns three GPU buffers per model: `weights`
 * (uploaded once), `arena` (intermediates, reused by liveness) and `io` (inputs and outputs),
 * plus `params` for uniform blocks. Offsets are multiples of the device's
 * minStorageBufferOffsetAlignment the plan was made for (`alignment`).
 */
export interface PlanSlice {
  readonly buffer: 'weights' | 'arena' | 'io' | 'params';
  readonly offset: number;
  readonly size: number;
}

export interface PlanDispatch {
  readonly program: string;
  readonly grid: readonly [number, number, number];
  readonly bindings: readonly PlanSlice[];
  /** Which graph nodes this dispatch implements (for --stats and profiles). */
  readonly label: string;
}

export interface PlanTensor {
  readonly name: string;
  readonly dtype: PlanDType;
  readonly shape: readonly number[];
  readonly slice: PlanSlice;
}

export interface PlanWeight {
  /** Key in weights.safetensors. */
  readonly key: string;
  readonly offset: number;
  readonly size: number;
}

export interface ExecutionPlan {
  readonly format: typeof PLAN_FORMAT;
  readonly name: string;
  readonly alignment: number;
  readonly weightsBytes: number;
  readonly arenaBytes: number;
  readonly ioBytes: number;
  readonly paramsBytes: number;
  /** Initial contents of the params buffer (uniform blocks), little-endian words. */
  readonly params: readonly number[];
  readonly weights: readonly PlanWeight[];
  readonly inputs: readonly PlanTensor[];
  readonly outputs: readonly PlanTensor[];
  readonly programs: readonly PlanProgram[];
  readonly dispatches: readonly PlanDispatch[];
  /** Device limits and features the plan relies on. */
  readonly requires: {
    readonly features: readonly string[];
    readonly limits: Readonly<Record<string, number>>;
  };
}
