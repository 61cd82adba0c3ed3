import { VitcError } from '../../../ir/errors.js';
import type { Tensor } from '../../../ir/tensor.js';
import { applyPipeline } from '../apply-pipeline.js';
import { imageInputGeometry, imageToTensor } from '../image-tensor.js';
import type { CommandIo } from '../io.js';
import { artifactFormat, loadGraph, modelKind } from '../load-model.js';
import { type InputArg, outputNpyFiles, parseInputArg, readInputFiles } from '../npy-files.js';
import { writeFilesAtomically } from '../output-files.js';
import { type ModelRunner, referenceRunner } from '../runners.js';
import { checkTarget, RUN_TARGETS, type RunTarget } from '../targets.js';
import { bindBatch, checkInputs, chooseBatch, graphInputs, type TensorSpec } from '../tensor-specs.js';
import { formatTopClasses, readLabels } from '../top-classes.js';

export interface RunOptions {
  readonly target: string;
  readonly adapter: string;
  readonly pipeline?: string;
  readonly batch?: number;
  readonly input: readonly string[];
  readonly image?: string;
  readonly labels?: string;
  readonly outputDir?: string;
}

/**
 * `vitc run MODEL.onnx|MODEL.vir|ARTIFACT_DIR --target reference|webgpu ...`: runs the model on
 * .npy inputs or one image, writes every output as DIR/<output>.npy and, with --image, prints the
 * top-5 classes.
 */
export async function runCommand(model: string, opts: RunOptions, io: CommandIo): Promise<void> {
  const target = checkTarget(opts.target, RUN_TARGETS, 'run');
  if (!opts.outputDir && !opts.image) throw new VitcError('give --output-dir DIR for the outputs (or --image FILE to print the top classes)', { context: 'run' });
  if (opts.image && opts.input.length) throw new VitcError('give either --image or --input, not both', { context: 'run' });
  if (!opts.image && !opts.input.length) throw new VitcError('give the model inputs with --input NAME=FILE.npy (or one --image FILE)', { context: 'run' });
  if (opts.labels && !opts.image) throw new VitcError('--labels goes with --image', { context: 'run' });
  const inputArgs = opts.input.map(parseInputArg);
  const { runner, inputs } = await prepare(model, target, opts, inputArgs, io);
  try {
    checkInputs(runner.inputs, inputs, 'run');
    const outputs = await runner.run(inputs);
    const labels = opts.image && opts.labels ? readLabels(opts.labels) : undefined;
    // Outputs first: a command that fails prints only its error line.
    const written = opts.outputDir ? writeFilesAtomically(opts.outputDir, outputNpyFiles(outputs)) : [];
    io.err(`ran ${model} on ${runner.description}\n`);
    if (opts.image) for (const [name, t] of outputs) io.out(formatTopClasses(name, t, labels));
    for (const path of written) io.out(`wrote ${path}\n`);
  } finally {
    runner.close();
  }
}

/** The runner for the target, and the inputs, read before any device is acquired where possible. */
async function prepare(model: string, target: RunTarget, opts: RunOptions, inputArgs: readonly InputArg[], io: CommandIo): Promise<{ runner: ModelRunner; inputs: Map<string, Tensor> }> {
  const readInputs = async (specs: readonly TensorSpec[]) => (opts.image ? imageInputs(specs, opts.image) : readInputFiles(inputArgs, specs));
  if (modelKind(model) === 'artifact') {
    if (artifactFormat(model) === (await import('../../compile-cuda.js')).CUDA_ARTIFACT_FORMAT)
      throw new VitcError('is a compiled CUDA artifact, which vitc run does not execute: build it with the nvcc commands in its manifest.json', { file: model });
    if (target !== 'webgpu') throw new VitcError('is a compiled WebGPU artifact: run it with --target webgpu', { file: model });
    if (opts.pipeline !== undefined) throw new VitcError('does not apply to a compiled artifact (its passes ran when it was compiled)', { context: '--pipeline' });
    if (opts.batch !== undefined) throw new VitcError('does not apply to a compiled artifact (its batch was fixed when it was compiled)', { context: '--batch' });
    const { artifactRunner } = await import('../webgpu-runners.js');
    const runner = await artifactRunner(model, { adapter: opts.adapter });
    try {
      return { runner, inputs: await readInputs(runner.inputs) };
    } catch (e) {
      runner.close();
      throw e;
    }
  }
  const graph = applyPipeline(await loadGraph(model), opts.pipeline, '--pipeline', { prepare: true, remarks: io.err });
  const specs = graphInputs(graph);
  const inputs = await readInputs(specs);
  const batch = checkInputs(specs, inputs, 'run');
  if (target === 'reference') {
    if (opts.batch !== undefined) throw new VitcError('is for --target webgpu; the reference interpreter takes the batch from the inputs', { context: '--batch' });
    return { runner: referenceRunner(graph), inputs };
  }
  // Kernels are specialised for one batch: the inputs' batch (--batch must agree with it).
  const { webGpuRunner } = await import('../webgpu-runners.js');
  return { runner: await webGpuRunner(graph, { adapter: opts.adapter, batch: chooseBatch(specs, opts.batch, batch) }), inputs };
}

/** The model input for --image: one input of shape [N, 1|3, H, W], fed a batch of one. */
async function imageInputs(specs: readonly TensorSpec[], path: string): Promise<Map<string, Tensor>> {
  if (specs.length !== 1) throw new VitcError(`needs a model with one input; this one has ${specs.length}`, { context: '--image' });
  const spec = specs[0]!;
  if (spec.dtype !== 'f32') throw new VitcError(`needs a float32 model input; '${spec.name}' is ${spec.dtype}`, { context: '--image' });
  const shape = bindBatch([spec], 1)[0]!.shape;
  if (shape[0] !== 1) throw new VitcError(`feeds one image; the model's batch is fixed at ${shape[0]}`, { context: '--image' });
  const { channels, height, width } = imageInputGeometry(spec.name, shape);
  const { decodeImageFile } = await import('../image-decode.js');
  return new Map([[spec.name, imageToTensor(decodeImageFile(path), channels, height, width)]]);
}
