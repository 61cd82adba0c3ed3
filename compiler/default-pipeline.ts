/**
 * The graph passes the main job runs, and a sensible `--pipeline` for ViTs: clean up, fold the
 * shape arithmetic and BatchNorms away, raise attention, then deduplicate and drop dead code.
 * Compiling for WebGPU runs its own lowering passes after whatever pipeline the user gives.
 */
export const DEFAULT_PIPELINE = 'canonicalize,fold-constants,fold-batchnorm,fuse-attention,cse,dce';
