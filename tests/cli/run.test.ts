import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, test } from 'node:test';
import pngjs from 'pngjs';
import { DEFAULT_PIPELINE } from '../../compiler/default-pipeline.js';
import { runPipeline } from '../../compiler/pass-manager.js';
import { parsePipeline } from '../../compiler/pipeline.js';
import { importOnnxFile } from '../../ir/onnx/index.js';
import { Tensor } from '../../ir/tensor.js';
import { writeVir } from '../../ir/text/index.js';
import { compareTensors } from '../../runtime/compare.js';
import { readNpy, writeNpy } from '../../runtime/npy.js';
import { runReference } from '../../runtime/reference/interpreter.js';
import { FIXTURES } from '../helpers/paths.js';
import { Rng } from '../helpers/prng.js';
import { inBatches, listing, scratchDir, vitc } from './vitc-process.js';

const dir = scratchDir();
after(() => rmSync(dir, { recursive: true, force: true }));

function randomInput(seed: number, shape: number[]): Tensor {
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return new Tensor('f32', shape, Float32Array.from({ length: n }, () => rng.float(-2, 2)));
}

function readOutput(path: string): Tensor {
  return readNpy(readFileSync(path), path);
}

test('run --target reference writes each output as .npy equal to the interpreter, from .onnx and .vir alike', async () => {
  const model = join(FIXTURES, 'vit_op17_dyn.onnx');
  const x = randomInput(3, [2, 3, 32, 32]);
  writeFileSync(join(dir, 'x.npy'), writeNpy(x));
  const graph = importOnnxFile(model);
  writeVir(join(dir, 'dyn.vir'), graph);
  const [fromOnnx, fromVir, piped, unnamed] = await inBatches([
    () => vitc('run', model, '--target', 'reference', '--input', `x=${join(dir, 'x.npy')}`, '--output-dir', join(dir, 'o1')),
    () => vitc('run', join(dir, 'dyn.vir'), '--input', `x=${join(dir, 'x.npy')}`, '--output-dir', join(dir, 'o2')),
    () => vitc('run', model, '--pipeline', DEFAULT_PIPELINE, '--input', `x=${join(dir, 'x.npy')}`, '--output-dir', join(dir, 'o3')),
    // A one-input model takes the file without NAME=.
    () => vitc('run', model, '-i', join(dir, 'x.npy'), '--output-dir', join(dir, 'o4')),
  ]);
  for (const r of [fromOnnx, fromVir, piped, unnamed]) assert.equal(r!.code, 0, r!.stderr);
  assert.equal(fromOnnx!.stdout, `wrote ${join(dir, 'o1', 'logits.npy')}\n`);
  assert.match(fromOnnx!.stderr, /^ran .* on reference interpreter \(CPU\)\n$/);

  const expected = runReference(graph, new Map([['x', x]])).get('logits')!;
  for (const out of ['o1', 'o2', 'o4']) {
    assert.deepEqual(listing(join(dir, out)), ['logits.npy']);
    const got = readOutput(join(dir, out, 'logits.npy'));
    assert.deepEqual([got.dtype, got.shape], ['f32', [2, 10]]);
    assert.deepEqual([...got.data], [...expected.data], out);
  }
  // The default pipeline rewrites the graph (attention fused, constants folded): same numbers within rounding.
  const optimized = runReference(runPipeline(graph, parsePipeline(DEFAULT_PIPELINE)).graph, new Map([['x', x]])).get('logits')!;
  const diff = compareTensors(readOutput(join(dir, 'o3', 'logits.npy')), optimized, 0, 0);
  assert.equal(diff.mismatches, 0, `--pipeline output differs from the pipeline run in-process: ${JSON.stringify(diff)}`);
  assert.equal(compareTensors(optimized, expected, 1e-4, 1e-5).mismatches, 0);
});

/** MNIST test digit i as the model sees it (byte / 255) and as a grey 28×28 PNG. */
function mnistDigit(i: number): { input: Tensor; png: Buffer } {
  const pixels = gunzipSync(readFileSync(join(FIXTURES, 'mnist_test_images.u8.gz'))).subarray(i * 784, (i + 1) * 784);
  const png = new pngjs.PNG({ width: 28, height: 28 });
  for (let p = 0; p < 784; p++) png.data.set([pixels[p]!, pixels[p]!, pixels[p]!, 255], 4 * p);
  return { input: new Tensor('f32', [1, 1, 28, 28], Float32Array.from(pixels, (b) => b / 255)), png: pngjs.PNG.sync.write(png) };
}

test('run --image prints the top-5 classes with softmax probabilities, and labels from --labels', async () => {
  const model = join(FIXTURES, 'mnist_vit.onnx');
  const digit = mnistDigit(7);
  writeFileSync(join(dir, 'digit.png'), digit.png);
  writeFileSync(join(dir, 'labels.txt'), Array.from({ length: 10 }, (_, k) => `digit-${k}`).join('\n'));
  const [plain, labelled, gpu] = await inBatches([
    () => vitc('run', model, '--image', join(dir, 'digit.png')),
    () => vitc('run', model, '--image', join(dir, 'digit.png'), '--labels', join(dir, 'labels.txt'), '--output-dir', join(dir, 'img-out')),
    () => vitc('run', model, '--target', 'webgpu', '--adapter', 'llvmpipe', '--image', join(dir, 'digit.png')),
  ]);
  assert.equal(plain!.code, 0, plain!.stderr);
  assert.equal(labelled!.code, 0, labelled!.stderr);

  const logits = [...runReference(importOnnxFile(model), new Map([['x', digit.input]])).get('logits')!.data];
  const max = Math.max(...logits);
  const sum = logits.reduce((s, l) => s + Math.exp(l - max), 0);
  const ranked = logits.map((l, k) => ({ k, l })).sort((a, b) => b.l - a.l).slice(0, 5);
  const rows = plain!.stdout.split('\n').slice(1, 6);
  assert.equal(plain!.stdout.split('\n')[0], "top-5 classes of 'logits':");
  ranked.forEach(({ k, l }, rank) => {
    const m = /^\s+(\d)\. class (\d+)\s+p=([\d.]+)\s+logit=(-?[\d.]+)$/.exec(rows[rank]!);
    assert.ok(m, rows[rank]);
    assert.deepEqual([Number(m[1]), Number(m[2])], [rank + 1, k]);
    assert.equal(m[3], (Math.exp(l - max) / sum).toFixed(4));
    assert.equal(m[4], l.toFixed(4));
  });
  assert.match(labelled!.stdout.split('\n')[1]!, new RegExp(`class ${ranked[0]!.k} .*  digit-${ranked[0]!.k}$`));
  assert.deepEqual([...readOutput(join(dir, 'img-out', 'logits.npy')).data], logits.map(Math.fround));

  // The same image through compiled WebGPU kernels: the same ranking, logits within 1e-4.
  assert.equal(gpu!.code, 0, gpu!.stderr);
  assert.match(gpu!.stderr, /on WebGPU on llvmpipe \(opengl\)/);
  const gpuRows = gpu!.stdout.split('\n').slice(1, 6);
  ranked.forEach(({ k, l }, rank) => {
    const m = /^\s+(\d)\. class (\d+)\s+p=([\d.]+)\s+logit=(-?[\d.]+)$/.exec(gpuRows[rank]!);
    assert.ok(m, gpuRows[rank]);
    assert.equal(Number(m[2]), k);
    assert.ok(Math.abs(Number(m[4]) - l) <= 1e-4 * Math.max(1, Math.abs(l)) + 1e-4, `${gpuRows[rank]} vs logit ${l}`);
  });
});
