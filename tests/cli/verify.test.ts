import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { randomInputs } from '../../compiler/cli/random-inputs.js';
import { graphInputs } from '../../compiler/cli/tensor-specs.js';
import { importOnnxFile } from '../../ir/onnx/index.js';
import { openOrt } from '../../runtime/ort-reference.js';
import { runReference } from '../../runtime/reference/interpreter.js';
import { FIXTURES } from '../helpers/paths.js';
import { assertOneLineError, inBatches, vitc, vitcLines } from './vitc-process.js';

/** Max |a - b| over all elements, computed here from onnxruntime and the interpreter. */
async function maxAbsDifference(model: string, batch: number, seed: number): Promise<number> {
  const graph = importOnnxFile(model);
  const inputs = randomInputs(graphInputs(graph), batch, seed);
  const ort = await openOrt(model);
  const want = (await ort.run(inputs)).get('logits')!;
  await ort.release();
  const got = runReference(graph, inputs).get('logits')!;
  let max = 0;
  for (let i = 0; i < want.size; i++) max = Math.max(max, Math.abs(want.get(i) - got.get(i)));
  return max;
}

/** "logits [2,10]: max abs 1.234e-6, max rel ..., 0/20 outside tolerance  PASS" */
function parseRow(stdout: string): { shape: string; maxAbs: number; outside: number; verdict: string } {
  const m = /^ {2}logits \[([\d,]+)\]: max abs (\S+), max rel \S+, (\d+)\/\d+ outside tolerance {2}(PASS|FAIL)$/m.exec(stdout);
  assert.ok(m, stdout);
  return { shape: m[1]!, maxAbs: Number(m[2]), outside: Number(m[3]), verdict: m[4]! };
}

test('verify passes within the default tolerance and fails with rtol=atol=0, reporting the true max error', async () => {
  const model = join(FIXTURES, 'vit_op13_dyn.onnx');
  const [pass, strict] = await inBatches([
    () => vitc('verify', model, '--batch', '2', '--seed', '5'),
    () => vitc('verify', model, '--batch', '2', '--seed', '5', '--rtol', '0', '--atol', '0'),
  ]);
  const truth = await maxAbsDifference(model, 2, 5);
  // The interpreter accumulates in float64 and onnxruntime in float32: they do differ, a little.
  assert.ok(truth > 0 && truth < 1e-4, `max abs difference ${truth}`);

  assert.equal(pass!.code, 0, pass!.stderr);
  assert.equal(pass!.stderr, '');
  const row = parseRow(pass!.stdout);
  assert.deepEqual([row.shape, row.outside, row.verdict], ['2,10', 0, 'PASS']);
  assert.ok(Math.abs(row.maxAbs - truth) <= truth * 1e-3, `printed ${row.maxAbs}, computed ${truth}`);
  assert.match(pass!.stdout, /batch 2, seed 5, rtol 0\.0001, atol 0\.00001\n/);
  assert.ok(pass!.stdout.endsWith('\nPASS\n'));

  assertOneLineError(strict!, 1, /vit_op13_dyn\.onnx: 1 of 1 outputs differ from onnxruntime beyond rtol 0, atol 0 \('logits'\)$/, 'rtol=atol=0');
  const strictRow = parseRow(strict!.stdout);
  assert.equal(strictRow.verdict, 'FAIL');
  assert.ok(strictRow.outside > 0);
  assert.ok(strict!.stdout.endsWith('\nFAIL\n'));
});

test('verify --target webgpu compiles the model, runs it on llvmpipe and passes', async () => {
  const r = await vitc('verify', join(FIXTURES, 'vit_op17_b2.onnx'), '--target', 'webgpu', '--adapter', 'llvmpipe');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(vitcLines(r.stderr), []);
  assert.match(r.stdout, /vitc on WebGPU on llvmpipe \(opengl\) vs onnxruntime-node; batch 2, seed 0/);
  const row = parseRow(r.stdout);
  assert.deepEqual([row.shape, row.verdict], ['2,10', 'PASS']);
});

test('verify refuses what it cannot check, with one line', async () => {
  const [vir, batch, target] = await inBatches([
    () => vitc('verify', join(FIXTURES, 'x.vir')),
    () => vitc('verify', join(FIXTURES, 'vit_op17_b1.onnx'), '--batch', '3'),
    () => vitc('verify', join(FIXTURES, 'vit_op17_b1.onnx'), '--target', 'tpu'),
  ]);
  assertOneLineError(vir!, 2, /x\.vir: verify compares against onnxruntime, so it needs an ONNX model$/, '.vir');
  assertOneLineError(batch!, 2, /--batch: the model's batch size is fixed at 1 .*--batch 3 does not apply$/, 'static batch');
  assertOneLineError(target!, 2, /--target: unsupported target 'tpu' for 'vitc verify'; valid targets: reference, webgpu$/, 'target');
});
