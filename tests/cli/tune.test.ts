import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { readRecords } from '../../codegen/tune/records.js';
import { Tensor } from '../../ir/tensor.js';
import { buildModel, writeFile } from '../helpers/onnx-build.js';
import { assertOneLineError, scratchDir, vitc, withoutDawnNoise } from './vitc-process.js';

/* `vitc tune` and `vitc compile --tuning-db` as a user runs them, on a one-GEMM model. */

process.env.EGL_PLATFORM ??= 'surfaceless';
const dir = scratchDir('vitc-cli-tune-');
after(() => rmSync(dir, { recursive: true, force: true }));

const values = (n: number) => Array.from({ length: n }, (_, i) => Math.sin(i) / 4);
const model = writeFile(
  dir,
  'gemm.onnx',
  buildModel({
    nodes: [
      { op: 'MatMul', inputs: ['x', 'w'], outputs: ['h'], name: 'mm' },
      { op: 'Add', inputs: ['h', 'b'], outputs: ['y'], name: 'bias' },
    ],
    inputs: [{ name: 'x', dtype: 'f32', shape: [1, 40, 64] }],
    outputs: [{ name: 'y', dtype: 'f32', shape: [1, 40, 96] }],
    initializers: [
      { name: 'w', tensor: Tensor.f32([64, 96], values(64 * 96)) },
      { name: 'b', tensor: Tensor.f32([96], values(96)) },
    ],
  }),
);
const db = join(dir, 'db.jsonl');

test('vitc tune writes records and a table; compile --tuning-db reports its choice per kernel; --report draws them', async () => {
  const tuned = await vitc('tune', model, '--target', 'webgpu', '--adapter', 'llvmpipe', '--db', db, '--trials', '3');
  assert.equal(tuned.code, 0, tuned.stderr);
  assert.match(tuned.stdout, /workload\s+what\s+tasks\s+default ms\s+best ms\s+speed-up/);
  assert.match(tuned.stdout, /matmul 40×96×64/);
  assert.match(tuned.stderr, /tuning 1 unique workloads \(1 kernels\) on llvmpipe/);
  const records = readRecords(db);
  // The default, three candidates, and the confirmation rounds when a candidate won.
  assert.equal(records.filter((r) => r.phase !== 'confirm').length, 4);

  const exact = await vitc('compile', model, '-t', 'webgpu', '--adapter', 'llvmpipe', '--tuning-db', db, '-o', join(dir, 'out-llvmpipe'));
  assert.equal(exact.code, 0, exact.stderr);
  assert.match(withoutDawnNoise(exact.stderr), /tuning database .*db\.jsonl for llvmpipe \[[0-9a-f]{16}\]: 1 tuned-exact\n\s+\S+\s+tuned-exact\s+wg \d+×\d+/);
  // Another kind of device: nothing near enough in the database, so the default.
  const other = await vitc('compile', model, '-t', 'webgpu', '--adapter', 'swiftshader', '--tuning-db', db, '-o', join(dir, 'out-swiftshader'));
  assert.equal(other.code, 0, other.stderr);
  assert.match(other.stderr, /for SwiftShader \[[0-9a-f]{16}\]: 1 default/);

  // A torn line (a killed tuner) is skipped with a warning; the compile still uses the good records.
  appendFileSync(db, '{"format":"vitc-tune-record/1","key":"abc');
  const torn = await vitc('compile', model, '-t', 'webgpu', '--adapter', 'llvmpipe', '--tuning-db', db, '-o', join(dir, 'out-torn'));
  assert.equal(torn.code, 0, torn.stderr);
  assert.match(torn.stderr, /warning: .*db\.jsonl:\d+: skipped .*truncated/);
  assert.match(torn.stderr, /1 tuned-exact/);

  const svg = join(dir, 'plot.svg');
  const report = await vitc('tune', '--report', db, '-o', svg);
  assert.equal(report.code, 0, report.stderr);
  assert.ok(existsSync(svg));
  assert.match(readFileSync(svg, 'utf8'), /^<svg[\s\S]*matmul 40×96×64[\s\S]*<\/svg>$/);
});

test('vitc tune usage errors are one line with exit status 2', async () => {
  assertOneLineError(await vitc('tune', model, '--adapter', 'llvmpipe'), 2, /--db FILE is required/, 'no --db');
  assertOneLineError(await vitc('tune', model, '--db', db, '--budget', '10x'), 2, /--budget.*duration/, 'bad budget');
  assertOneLineError(await vitc('tune', model, '--db', db, '--target', 'cuda'), 2, /unsupported target 'cuda' for 'vitc tune'/, 'cuda');
  assertOneLineError(await vitc('tune', '--report', db), 2, /--report needs -o/, 'report without -o');
  assertOneLineError(await vitc('tune', '--report', join(dir, 'empty.jsonl'), '-o', join(dir, 'x.svg')), 2, /empty\.jsonl: has no tuning records/, 'empty db');
});
