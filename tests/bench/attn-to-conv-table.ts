import { loadavg } from 'node:os';
import { join } from 'node:path';
import { compileWebGpu } from '../../compiler/compile-webgpu.js';
import { mnistBatch, readMnistTestSet } from '../../compiler/mnist-test-set.js';
import type { Graph } from '../../ir/graph.js';
import { importOnnxFile } from '../../ir/onnx/import.js';
import { acquireDevice } from '../../runtime/webgpu/adapters.js';
import { createExecutor } from '../../runtime/webgpu/executor.js';
import { FIXTURES } from '../helpers/paths.js';
import { applyPipeline } from '../unit/passes/apply.js';

/*
 * attn-to-conv{auto} on the bundled MNIST ViT (a script, not a test):
 *   node dist/tests/bench/attn-to-conv-table.js [--images N] [--batch B] [threshold ...]
 * For the baseline and each threshold: the layers folded, accuracy on the first N bundled test
 * digits, FLOPs per image (the ops' own counts), and ms/img on llvmpipe at batch B (median of
 * the batches, after one warm-up). Calibration: the default (the first 64 bundled digits, which
 * overlap the evaluated ones: the measurement uses no labels). Markdown on stdout.
 */

const args = process.argv.slice(2);
const flag = (name: string, dflt: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : dflt);
const images = flag('--images', 1000);
const batch = flag('--batch', 100);
const thresholds = args.filter((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--')).map(Number);
const configs: (number | undefined)[] = [undefined, ...(thresholds.length ? thresholds : [0.04, 0.049, 0.05, 0.06, 0.07])];
const log = (s: string) => process.stderr.write(`${s}\n`);

const LOWER = 'canonicalize,fold-constants,fuse-attention,fold-constants,canonicalize,cse,dce';
const set = readMnistTestSet(FIXTURES);
const model = importOnnxFile(join(FIXTURES, 'mnist_vit.onnx'));
// Keep the whole acquisition referenced: it holds the Dawn instance, which must outlive the device
// (the calibration's garbage collections otherwise collect it and Dawn aborts on a futex error).
const acquired = await acquireDevice({ adapter: 'llvmpipe', maxLimits: true, timestamps: false });
const device = acquired.device;
const load0 = loadavg()[0]!;

function flopsPerImage(g: Graph): number {
  let total = 0;
  for (const n of g.nodes) total += n.op.flops?.(n.inputs.map((v) => v.type), n.outputs.map((v) => v.type), n.attrs as never) ?? 0;
  return total / batch;
}

const rows: string[] = [];
/**
 * Finished executors stay referenced until the end (as in webgpu-vs-ort.test.ts): a second
 * executor on the device hung in Dawn (futex wait) when the first one could be collected.
 */
const finished: unknown[] = [];
for (const t of configs) {
  const remarks: string[] = [];
  const pipeline = `infer-shapes{batch=${batch}},${LOWER}${t === undefined ? '' : `,attn-to-conv{auto threshold=${t} samples=64}`}`;
  const g = applyPipeline(model, pipeline, remarks);
  for (const r of remarks) log(r.trim());
  const folded = remarks.filter((r) => /→ conv/.test(r)).map((r) => /attention layer (\d+)/.exec(r)![1]);
  log(`${t === undefined ? 'baseline' : `threshold ${t}`}: compiling`);
  const compiled = compileWebGpu(g, { batch });
  const ex = await createExecutor(device, compiled.plan, compiled.sources, compiled.weights);
  const input = compiled.plan.inputs[0]!.name;
  const output = compiled.plan.outputs[0]!.name;
  log(`${t === undefined ? 'baseline' : `threshold ${t}`}: running ${images} images`);
  let correct = 0;
  const ms: number[] = [];
  await ex.run({ [input]: mnistBatch(set, 0, batch) });
  for (let s = 0; s < images; s += batch) {
    const t0 = performance.now();
    const logits = (await ex.run({ [input]: mnistBatch(set, s, batch) }))[output] as Float32Array;
    ms.push((performance.now() - t0) / batch);
    for (let i = 0; i < batch && s + i < images; i++) {
      const row = logits.subarray(i * 10, i * 10 + 10);
      if (row.indexOf(Math.max(...row)) === set.labels[s + i]) correct++;
    }
  }
  ex.destroy();
  finished.push(ex);
  ms.sort((a, b) => a - b);
  rows.push(
    `| ${t === undefined ? 'baseline' : `auto threshold=${t}`} | ${folded.length ? folded.join(',') : '–'} | ${((100 * correct) / images).toFixed(2)}% | ${(flopsPerImage(g) / 1e6).toFixed(3)} | ${ms[ms.length >> 1]!.toFixed(3)} |`,
  );
  log(rows.at(-1)!);
}
acquired.release();
console.log(`MNIST ViT (tests/fixtures/mnist_vit.onnx), first ${images} bundled test digits, llvmpipe, batch ${batch}; load average ${load0.toFixed(2)} → ${loadavg()[0]!.toFixed(2)} (2 shared cores: ms are noisy)\n`);
console.log('| configuration | layers folded | accuracy | MFLOPs/img | ms/img |');
console.log('|---|---|---|---|---|');
for (const r of rows) console.log(r);
