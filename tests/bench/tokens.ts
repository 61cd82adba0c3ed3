import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { targetLimitsOf } from '../../codegen/schedule/limits.js';
import { compileWebGpu } from '../../compiler/compile-webgpu.js';
import { modelStats } from '../../compiler/model-stats.js';
import { runPipeline } from '../../compiler/pass-manager.js';
import { parsePipeline } from '../../compiler/pipeline.js';
import type { Graph } from '../../ir/graph.js';
import { importOnnxFile } from '../../ir/onnx/index.js';
import { acquireDevice, type AcquiredDevice } from '../../runtime/webgpu/adapters.js';
import { createExecutor } from '../../runtime/webgpu/executor.js';
import { FIXTURES, repoPath } from '../helpers/paths.js';
import { parseScriptArgs } from './script-args.js';

/*
 * Token reduction accuracy/FLOPs/latency table: the bundled MNIST ViT over all 2,000 test digits,
 * run through compiled WebGPU kernels on the chosen CPU adapter (llvmpipe by default), for no
 * pass, ToMe at several r and PPT at several r and tau. Then ViT-Ti/16 latency with ToMe r=8 and
 * r=16 against no pass. ms/img is wall time over the whole run; CPU ms/img is the process's CPU
 * time (llvmpipe's worker threads included) over the same run, the fairer figure on a shared
 * machine.
 *
 *   npm run bench -- tokens [--adapter llvmpipe|swiftshader] [--batch 100] [--only tome] [--pipeline P]...
 *                           [--vit-ti PATH (default $VITC_VIT_TI, else .bench/models/vit_ti16.onnx)]
 *                           [--vit-ti-repeats 3] [--skip-vit-ti] [--skip-mnist]
 */

const PREP = 'fold-constants,canonicalize,fuse-attention';

const MNIST_PIPELINES: readonly string[] = [
  '',
  'tome{r=1}',
  'tome{r=2}',
  'tome{r=3}',
  'tome{r=4}',
  'tome{r=0,5,5,3}',
  'tome{r=0,6,5,2}',
  'ppt{layers=0,1,2 r=3 tau=0}',
  'ppt{layers=0,1,2 r=3 tau=7e-5}',
  'ppt{layers=0,1,2 r=3 tau=1e-2}',
  'ppt{layers=0,1,2 r=3 tau=1}',
  'ppt{layers=1,2 r=5 tau=0}',
  'ppt{layers=1,2 r=5 tau=7e-5}',
  'ppt{layers=1,2 r=5 tau=1e-2}',
  'ppt{layers=1,2 r=5 tau=1}',
  'ppt{layers=0,1,2,3 r=3 tau=1e-2}',
];

interface Row {
  readonly pipeline: string;
  readonly accuracy?: number;
  readonly flops: number;
  readonly wallMs: number;
  readonly cpuMs: number;
}

const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

function prepared(g: Graph, pipeline: string): Graph {
  return runPipeline(g, parsePipeline(pipeline ? `${PREP},${pipeline}` : PREP)).graph;
}

/** Runs `batches` (each one flat input) through the compiled model; returns outputs and times. */
async function runCompiled(gpu: AcquiredDevice, g: Graph, batch: number, batches: readonly Float32Array[], warmup: number) {
  const compiled = compileWebGpu(g, { batch, limits: targetLimitsOf(gpu.device.limits) });
  const ex = await createExecutor(gpu.device, compiled.plan, compiled.sources, compiled.weights);
  try {
    const name = g.inputs[0]!.name!;
    for (let i = 0; i < warmup; i++) await ex.run({ [name]: batches[0]! });
    const outputs: Float32Array[] = [];
    const [w0, c0] = [performance.now(), cpuNow()];
    for (const x of batches) outputs.push((await ex.run({ [name]: x })).logits as Float32Array);
    return { outputs, wallMs: performance.now() - w0, cpuMs: cpuNow() - c0 };
  } finally {
    ex.destroy();
  }
}

async function mnistTable(gpu: AcquiredDevice, batch: number, pipelines: readonly string[]): Promise<Row[]> {
  const model = await importOnnxFile(join(FIXTURES, 'mnist_vit.onnx'));
  const bytes = gunzipSync(readFileSync(join(FIXTURES, 'mnist_test_images.u8.gz')));
  const labels = readFileSync(join(FIXTURES, 'mnist_test_labels.u8'));
  const count = labels.length;
  const batches: Float32Array[] = [];
  for (let i = 0; i < count; i += batch) {
    const x = new Float32Array(batch * 784);
    const part = bytes.subarray(i * 784, Math.min(count, i + batch) * 784);
    for (let k = 0; k < part.length; k++) x[k] = part[k]! / 255;
    batches.push(x);
  }
  const rows: Row[] = [];
  for (const pipeline of pipelines) {
    const g = prepared(model, pipeline);
    const { outputs, wallMs, cpuMs } = await runCompiled(gpu, g, batch, batches, 1);
    let correct = 0;
    for (let i = 0; i < count; i++) {
      const logits = outputs[Math.floor(i / batch)]!.subarray((i % batch) * 10, (i % batch) * 10 + 10);
      let best = 0;
      for (let c = 1; c < 10; c++) if (logits[c]! > logits[best]!) best = c;
      if (best === labels[i]) correct++;
    }
    const row = { pipeline, accuracy: correct / count, flops: modelStats(g).total, wallMs: wallMs / count, cpuMs: cpuMs / count };
    rows.push(row);
    process.stderr.write(`  ${pipeline || 'no pass'}: ${(100 * row.accuracy).toFixed(2)}%, ${row.wallMs.toFixed(3)} ms/img\n`);
  }
  return rows;
}

async function vitTiTable(gpu: AcquiredDevice, path: string, repeats: number): Promise<Row[]> {
  const model = await importOnnxFile(path);
  const shape = model.inputs[0]!.type.shape.map((d, i) => (i === 0 || typeof d !== 'number' ? 1 : d));
  const size = shape.reduce((a, b) => a * b, 1);
  let seed = 1;
  const x = Float32Array.from({ length: size }, () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1);
  const rows: Row[] = [];
  for (const pipeline of ['', 'tome{r=8}', 'tome{r=16}']) {
    const g = prepared(model, pipeline);
    const { wallMs, cpuMs } = await runCompiled(gpu, g, 1, Array.from({ length: repeats }, () => x), 1);
    rows.push({ pipeline, flops: modelStats(g).total, wallMs: wallMs / repeats, cpuMs: cpuMs / repeats });
    process.stderr.write(`  ViT-Ti ${pipeline || 'no pass'}: ${(wallMs / repeats).toFixed(1)} ms/img\n`);
  }
  return rows;
}

function table(rows: readonly Row[], withAccuracy: boolean): string {
  const base = rows.find((r) => r.pipeline === '') ?? rows[0]!;
  const head = withAccuracy
    ? '| pipeline | accuracy | Δ acc (pt) | MFLOPs/img | FLOPs cut | ms/img (wall) | CPU ms/img | speed-up (CPU) |\n|---|---|---|---|---|---|---|---|\n'
    : '| pipeline | MFLOPs/img | FLOPs cut | ms/img (wall) | CPU ms/img | speed-up (wall) | speed-up (CPU) |\n|---|---|---|---|---|---|---|\n';
  const body = rows.map((r) => {
    const cut = `${(100 * (1 - r.flops / base.flops)).toFixed(1)}%`;
    const mflops = (r.flops / 1e6).toFixed(r.flops < 1e8 ? 3 : 1);
    const timing = `${r.wallMs.toFixed(3)} | ${r.cpuMs.toFixed(3)}`;
    const name = r.pipeline || 'no pass';
    if (withAccuracy)
      return `| ${name} | ${(100 * r.accuracy!).toFixed(2)}% | ${(100 * (r.accuracy! - base.accuracy!)).toFixed(2)} | ${mflops} | ${cut} | ${timing} | ${(base.cpuMs / r.cpuMs).toFixed(2)}× |`;
    return `| ${name} | ${mflops} | ${cut} | ${timing} | ${(base.wallMs / r.wallMs).toFixed(2)}× | ${(base.cpuMs / r.cpuMs).toFixed(2)}× |`;
  });
  return head + body.join('\n') + '\n';
}

const TOKENS_USAGE = `usage: npm run bench -- tokens [--adapter llvmpipe|swiftshader] [--batch B] [--only TEXT] [--pipeline P ...]
         [--vit-ti PATH] [--vit-ti-repeats N] [--skip-vit-ti] [--skip-mnist]`;

export async function main(args: readonly string[]): Promise<void> {
  const { values } = parseScriptArgs('bench tokens', TOKENS_USAGE, {
    args: [...args],
    options: {
      adapter: { type: 'string', default: 'llvmpipe' },
      batch: { type: 'string', default: '100' },
      only: { type: 'string' },
      pipeline: { type: 'string', multiple: true },
      'vit-ti': { type: 'string', default: process.env.VITC_VIT_TI ?? repoPath('.bench', 'models', 'vit_ti16.onnx') },
      'vit-ti-repeats': { type: 'string', default: '3' },
      'skip-vit-ti': { type: 'boolean', default: false },
      'skip-mnist': { type: 'boolean', default: false },
    },
  });
  const gpu = await acquireDevice({ adapter: values.adapter as 'llvmpipe' | 'swiftshader' });
  try {
    process.stdout.write(`adapter: ${values.adapter}; FLOPs per image as the op definitions count them; timings on a shared CPU are noisy\n\n`);
    if (!values['skip-mnist']) {
      const only = values.only;
      const pipelines = values.pipeline ? ['', ...values.pipeline] : MNIST_PIPELINES.filter((p) => !only || p === '' || p.includes(only));
      const rows = await mnistTable(gpu, Number(values.batch), pipelines);
      process.stdout.write(`MNIST ViT (mnist_vit.onnx), 2,000 test digits, batch ${values.batch}\n\n${table(rows, true)}\n`);
    }
    const vitTi = values['vit-ti']!;
    if (values['skip-vit-ti']) return;
    if (!existsSync(vitTi)) {
      process.stdout.write(`ViT-Ti/16 skipped: ${vitTi} not found (pass --vit-ti PATH)\n`);
      return;
    }
    const rows = await vitTiTable(gpu, vitTi, Number(values['vit-ti-repeats']));
    process.stdout.write(`ViT-Ti/16 (${vitTi}), batch 1, ${values['vit-ti-repeats']} timed runs after one warm-up\n\n${table(rows, false)}`);
  } finally {
    gpu.release();
  }
}
