import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { mnistBatch, readMnistTestSet } from '../../compiler/mnist-test-set.js';
import { importOnnxFile } from '../../ir/onnx/index.js';
import { Tensor } from '../../ir/tensor.js';
import { runReference } from '../../runtime/reference/interpreter.js';
import { FIXTURES } from '../helpers/paths.js';
import { assertOneLineError, MAIN_JOB, runNode, scratchDir, withoutDawnNoise } from './vitc-process.js';

const dir = scratchDir('vitc-main-job-');
after(() => rmSync(dir, { recursive: true, force: true }));

const LIMIT = 200;

/** Correct answers on the first `n` digits, from the un-optimised imported model on the interpreter. */
function expectedCorrect(n: number): number {
  const data = readMnistTestSet(FIXTURES);
  const graph = importOnnxFile(join(FIXTURES, 'mnist_vit.onnx'));
  const logits = runReference(graph, new Map([['x', new Tensor('f32', [n, 1, 28, 28], mnistBatch(data, 0, n))]])).get('logits')!;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 1; k < 10; k++) if (logits.get(i * 10 + k) > logits.get(i * 10 + best)) best = k;
    if (best === data.labels[i]) correct++;
  }
  return correct;
}

function accuracyLine(stdout: string): { correct: number; count: number } {
  const m = /^accuracy: [\d.]+% \(([\d,]+) \/ ([\d,]+)\)$/m.exec(stdout);
  assert.ok(m, `no accuracy line in\n${stdout}`);
  return { correct: Number(m[1]!.replaceAll(',', '')), count: Number(m[2]!.replaceAll(',', '')) };
}

/**
 * An environment in which Dawn finds no adapter: glvnd gets no EGL vendor (no llvmpipe), and the
 * Vulkan loader only a driver whose library does not exist (no SwiftShader, no native Vulkan).
 */
function noAdapterEnv(): NodeJS.ProcessEnv {
  const icd = join(dir, 'no_driver_icd.json');
  writeFileSync(icd, JSON.stringify({ file_format_version: '1.0.0', ICD: { library_path: join(dir, 'absent.so'), api_version: '1.0.0' } }));
  return { ...process.env, __EGL_VENDOR_LIBRARY_FILENAMES: join(dir, 'absent.json'), VK_ICD_FILENAMES: icd, VK_DRIVER_FILES: icd, VITC_SWIFTSHADER_ICD: icd };
}

test('main job: compiled WebGPU kernels on llvmpipe classify the digits as the interpreter does', async () => {
  const r = await runNode(MAIN_JOB, ['--limit', String(LIMIT), '--batch', '50', '--adapter', 'llvmpipe']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(withoutDawnNoise(r.stderr).trim(), '');
  assert.match(r.stdout, /^adapter: +llvmpipe through Dawn's opengl backend/m);
  assert.match(r.stdout, /^compile: +[\d.]+ s \(batch 50: \d+ dispatches, \d+ programs\)$/m);
  assert.match(r.stdout, /^classify: 200 images in [\d.]+ s \([\d.]+ ms\/img, batches of 50\) on WebGPU on llvmpipe \(opengl\)$/m);
  assert.deepEqual(accuracyLine(r.stdout), { correct: expectedCorrect(LIMIT), count: LIMIT });
});

test('main job: with no WebGPU adapter at all it says so and runs on the reference interpreter', async () => {
  const r = await runNode(MAIN_JOB, ['--limit', '20'], { env: noAdapterEnv() });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^target: +reference interpreter \(CPU\): no WebGPU adapter on this machine \(no WebGPU adapter found/m);
  assert.match(r.stdout, /on reference interpreter \(CPU\)$/m);
  assert.deepEqual(accuracyLine(r.stdout), { correct: expectedCorrect(20), count: 20 });
});

test('main job: an adapter asked for by name that is not there is an error, not a fallback', async () => {
  const [named, unknown] = await Promise.all([
    runNode(MAIN_JOB, ['--limit', '20', '--adapter', 'llvmpipe'], { env: noAdapterEnv() }),
    runNode(MAIN_JOB, ['--limit', '20', '--adapter', 'no-such-gpu']),
  ]);
  assertOneLineError(named!, 2, /Dawn found no OpenGL adapter through EGL/, 'llvmpipe absent');
  assertOneLineError(unknown!, 2, /no WebGPU adapter matches "no-such-gpu"; available: /, 'unknown adapter');
  for (const r of [named!, unknown!]) assert.doesNotMatch(r.stdout, /^accuracy/m);
});
