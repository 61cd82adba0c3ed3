/**
 * The graph passes every kernel compile runs after the user's pipeline: bind the batch, clean up,
 * fold BatchNorm, raise attention, fold again. Codegen requires what these establish.
 */
export function loweringPipeline(batch: number): string {
  return `infer-shapes{batch=${batch}},canonicalize,fold-constants,fold-batchnorm,fuse-attention,fold-constants,canonicalize,cse,dce`;
}
