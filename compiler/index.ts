/*
 * vitc as a library (package entry "main"): read a model, run passes, execute it on the reference
 * interpreter, compile it for WebGPU or CUDA and write the artifact. The CLI is built on the same
 * functions.
 */
export { VitcError, CheckFailed } from '../ir/errors.js';
export type { Graph } from '../ir/graph.js';
export { Tensor } from '../ir/tensor.js';
export { importOnnxFile, importOnnx, readOnnxFile, readOnnxBytes } from '../ir/onnx/index.js';
export { readVir, writeVir, parseGraph, printGraph } from '../ir/text/index.js';
export { parsePipeline, formatPipeline } from './pipeline.js';
export { runPipeline } from './pass-manager.js';
export { DEFAULT_PIPELINE } from './default-pipeline.js';
export { runReference } from '../runtime/reference/interpreter.js';
export { modelStats, type ModelStats, type BlockStats } from './model-stats.js';
export { compileWebGpu, type WebGpuCompileOptions, type WebGpuCompileResult } from './compile-webgpu.js';
export { writeWebGpuArtifact } from './artifact/write-artifact.js';
export { compileCuda, writeCudaArtifact, type CudaCompileOptions, type CudaCompileResult } from './compile-cuda.js';
