#!/usr/bin/env node
import { performance } from 'node:perf_hooks';
import { Command, Option } from 'commander';
import type { Graph } from '../ir/graph.js';
import { importOnnxFile } from '../ir/onnx/index.js';
import { Tensor } from '../ir/tensor.js';
import { WebGpuRuntimeError } from '../runtime/webgpu/executor.js';
import { applyPipeline } from './cli/apply-pipeline.js';
import { PROCESS_IO, type CommandIo } from './cli/io.js';
import { positiveInt } from './cli/option-values.js';
import { reportFailure } from './cli/report-error.js';
import { type ModelRunner, referenceRunner } from './cli/runners.js';
import { DEFAULT_PIPELINE } from './default-pipeline.js';
import { mnistBatch, readMnistTestSet } from './mnist-test-set.js';
import { packageRoot } from './package-info.js';

/*
 * The main job (`npm run main`): import the bundled MNIST ViT, run the default passes, compile it
 * for WebGPU on the best adapter here, classify the 2,000 bundled test digits, and print the
 * accuracy and the time. With `--adapter auto` and no WebGPU adapter at all it says so and runs on
 * the reference interpreter; `--target reference` chooses the interpreter on purpose.
 */

interface MainJobOptions {
  readonly target: 'webgpu' | 'reference';
  readonly adapter: string;
  readonly batch: number;
  readonly limit?: number;
}

const MODEL = 'tests/fixtures/mnist_vit.onnx';

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

async function mainJob(opts: MainJobOptions, io: CommandIo): Promise<void> {
  const t0 = performance.now();
  const root = packageRoot();
  const data = readMnistTestSet(`${root}/tests/fixtures`);
  const count = Math.min(opts.limit ?? data.count, data.count);
  io.out(`vitc main job: classify ${count.toLocaleString('en-US')} MNIST test digits with ${MODEL}\n`);

  let t = performance.now();
  const imported = importOnnxFile(`${root}/${MODEL}`);
  io.out(`import:   ${seconds(performance.now() - t)} (${imported.nodes.length} nodes)\n`);
  t = performance.now();
  const graph = applyPipeline(imported, DEFAULT_PIPELINE, 'default pipeline');
  io.out(`passes:   ${seconds(performance.now() - t)} (${DEFAULT_PIPELINE}: ${graph.nodes.length} nodes)\n`);

  const batch = Math.min(opts.batch, count);
  const runner = await openRunner(graph, opts, batch, io);

  const input = runner.inputs[0]!.name;
  const output = runner.outputs[0]!.name;
  let correct = 0;
  t = performance.now();
  try {
    for (let start = 0; start < count; start += batch) {
      const x = new Tensor('f32', [batch, 1, 28, 28], mnistBatch(data, start, batch));
      const logits = (await runner.run(new Map([[input, x]]))).get(output)!;
      const classes = logits.shape[logits.shape.length - 1]!;
      for (let i = 0; i < batch && start + i < count; i++) if (argmax(logits, i * classes, classes) === data.labels[start + i]) correct++;
    }
  } finally {
    runner.close();
  }
  const classifyMs = performance.now() - t;
  io.out(`classify: ${count.toLocaleString('en-US')} images in ${seconds(classifyMs)} (${(classifyMs / count).toFixed(2)} ms/img, batches of ${batch}) on ${runner.description}\n`);
  io.out(`accuracy: ${((100 * correct) / count).toFixed(2)}% (${correct.toLocaleString('en-US')} / ${count.toLocaleString('en-US')})\n`);
  io.out(`total:    ${seconds(performance.now() - t0)}\n`);
}

/**
 * The compiled model on the chosen adapter. Only when `auto` finds no WebGPU adapter at all does
 * the job fall back to the reference interpreter, and it says so; any other failure is an error.
 */
async function openRunner(graph: Graph, opts: MainJobOptions, batch: number, io: CommandIo): Promise<ModelRunner> {
  if (opts.target === 'reference') {
    io.out('target:   reference interpreter (CPU), as asked (--target reference)\n');
    return referenceRunner(graph);
  }
  const t = performance.now();
  const { webGpuRunner } = await import('./cli/webgpu-runners.js');
  try {
    const runner = await webGpuRunner(graph, { adapter: opts.adapter, batch });
    const a = runner.adapter;
    io.out(`adapter:  ${a.name} through Dawn's ${a.backend} backend (${[a.vendor, a.architecture, a.description].filter(Boolean).join(', ')})\n`);
    io.out(`compile:  ${seconds(runner.compileMs)} (batch ${batch}: ${runner.compiled.plan.dispatches.length} dispatches, ${runner.compiled.plan.programs.length} programs)\n`);
    io.out(`setup:    ${seconds(performance.now() - t)} (loading Dawn, compile, device, weights upload, pipelines)\n`);
    return runner;
  } catch (e) {
    if (!(e instanceof WebGpuRuntimeError) || opts.adapter !== 'auto') throw e;
    const { availableAdapters } = await import('../runtime/webgpu/adapters.js');
    if ((await availableAdapters()).length > 0) throw e;
    io.out(`target:   reference interpreter (CPU): no WebGPU adapter on this machine (${e.message})\n`);
    return referenceRunner(graph);
  }
}

function argmax(t: Tensor, offset: number, n: number): number {
  let best = 0;
  for (let k = 1; k < n; k++) if (t.get(offset + k) > t.get(offset + best)) best = k;
  return best;
}

async function main(argv: readonly string[]): Promise<number> {
  const usage = { command: 'main', help: 'npm run main -- --help' };
  const program = new Command('npm run main --')
    .description('classify the bundled MNIST test digits with the bundled ViT, compiled by vitc')
    .addOption(new Option('-t, --target <target>', 'webgpu: compiled kernels on a WebGPU adapter; reference: the CPU interpreter').choices(['webgpu', 'reference']).default('webgpu'))
    .option('--adapter <adapter>', 'WebGPU adapter: auto, llvmpipe, swiftshader, or part of an adapter name', 'auto')
    .option('--batch <n>', 'images per inference', positiveInt, 100)
    .option('--limit <n>', 'classify only the first n digits', positiveInt)
    .option('--debug', 'show stack traces with errors')
    .exitOverride()
    .configureOutput({ writeOut: PROCESS_IO.out, writeErr: () => {}, outputError: () => {} });
  try {
    program.parse([...argv]);
    await mainJob(program.opts<MainJobOptions>(), PROCESS_IO);
    return 0;
  } catch (e) {
    const { exitCode, text } = await reportFailure(e, argv.includes('--debug'), usage);
    process.stderr.write(text);
    return exitCode;
  }
}

process.exitCode = await main(process.argv);
