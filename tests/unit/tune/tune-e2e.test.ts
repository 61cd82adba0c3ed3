import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { tunedChooser } from '../../../codegen/tune/apply.js';
import { deviceFingerprint } from '../../../codegen/tune/fingerprint.js';
import { readRecords, type TuneRecord } from '../../../codegen/tune/records.js';
import { scheduleKey } from '../../../codegen/tune/space.js';
import { targetLimitsOf } from '../../../codegen/schedule/limits.js';
import { compileWebGpu } from '../../../compiler/compile-webgpu.js';
import { tuneModel } from '../../../compiler/tune.js';
import { dawnVersion } from '../../../compiler/tune-versions.js';
import { GraphBuilder } from '../../../ir/builder.js';
import type { Graph } from '../../../ir/graph.js';
import { Add, MatMul, Relu } from '../../../ir/ops/index.js';
import { Tensor } from '../../../ir/tensor.js';
import { tensorType } from '../../../ir/types.js';
import { runReference } from '../../../runtime/reference/interpreter.js';
import { acquireDevice } from '../../../runtime/webgpu/adapters.js';
import { createExecutor } from '../../../runtime/webgpu/executor.js';
import { SeededRandom } from '../../../codegen/tune/random.js';

/*
 * End to end on llvmpipe: tune a one-GEMM model, then judge the tuner by its own records — the
 * schedule apply-best picks must be no slower than the default by the medians recorded for both
 * on this device (computed here from the raw records), and the tuned compile must still compute
 * the model.
 */

process.env.EGL_PLATFORM ??= 'surfaceless';
const dir = mkdtempSync(join(tmpdir(), 'vitc-tune-e2e-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function model(): Graph {
  const rng = new SeededRandom(3);
  const values = (n: number) => Array.from({ length: n }, () => rng.uniform(-0.5, 0.5));
  const b = new GraphBuilder('gemm');
  const x = b.input('x', tensorType('f32', [1, 50, 96]));
  const y = b.add1(Relu, [b.add1(Add, [b.add1(MatMul, [x, b.constant(Tensor.f32([96, 128], values(96 * 128)), 'w')], {}), b.constant(Tensor.f32([128], values(128)), 'bias')], {})], {});
  b.output(y, 'y');
  return b.build();
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

test('tuning a GEMM on llvmpipe records every trial, picks a schedule no slower than the default, and resumes', async () => {
  const graph = model();
  const db = join(dir, 'db.jsonl');
  const summary = await tuneModel({ graph, adapter: 'llvmpipe', db, trials: 6, seed: 2 });
  assert.equal(summary.error, undefined);
  assert.equal(summary.workloads.length, 1, 'one GEMM with its fused epilogue: one workload');
  const records = readRecords(db);
  const [job] = summary.workloads;
  // Every record is of this device and workload; the default was measured; llvmpipe has no timestamp queries.
  assert.ok(records.every((r) => r.device.id === summary.device.id && r.key === job!.key));
  assert.ok(records.some((r) => r.isDefault && r.phase === 'default' && r.status === 'ok'));
  assert.ok(records.filter((r) => r.status === 'ok').every((r) => r.method === 'host' && r.samples > 0 && r.minMs! <= r.medianMs!));
  const searched = records.filter((r) => r.phase === 'search');
  assert.equal(searched.length, 6);
  assert.equal(new Set(searched.map((r) => scheduleKey(r.schedule))).size, 6, 'six distinct candidates');

  // The finalists and the default were re-measured in confirmation rounds.
  const confirms = records.filter((r) => r.phase === 'confirm' && r.status === 'ok');
  assert.ok(confirms.some((r) => r.isDefault), 'the default is among the confirmed');

  // The test's own aggregation of the records: per schedule, the median of its recorded medians,
  // counting only the confirmation measurements (the search's minimum is biased low).
  const bySchedule = new Map<string, TuneRecord[]>();
  for (const r of confirms) bySchedule.set(scheduleKey(r.schedule), [...(bySchedule.get(scheduleKey(r.schedule)) ?? []), r]);
  const defaultKey = scheduleKey(records.find((r) => r.isDefault)!.schedule);
  const defaultMs = median(bySchedule.get(defaultKey)!.map((r) => r.medianMs!));

  // Apply-best on this device takes its schedule from these records, and it is no slower than the default.
  const acquired = await acquireDevice({ adapter: 'llvmpipe', maxLimits: true });
  try {
    const limits = targetLimitsOf(acquired.device.limits);
    const device = deviceFingerprint(acquired.fingerprint, dawnVersion());
    assert.equal(device.id, summary.device.id, 'the same device fingerprint in a new session');
    const chooser = tunedChooser(records, device, limits);
    const tuned = compileWebGpu(graph, { limits, choose: chooser.choose });
    assert.deepEqual(tuned.kernels.map((k) => k.source), ['tuned-exact']);
    const chosen = scheduleKey(tuned.kernels[0]!.schedule);
    const chosenMs = median(bySchedule.get(chosen)!.map((r) => r.medianMs!));
    assert.ok(chosenMs <= defaultMs, `tuned ${chosenMs} ms vs default ${defaultMs} ms`);
    assert.equal(chosenMs, Math.min(...[...bySchedule.values()].map((rs) => median(rs.map((r) => r.medianMs!)))));
    assert.equal(job!.bestMs, chosenMs);

    // The tuned kernels compute the model.
    const x = Tensor.f32([1, 50, 96], Array.from({ length: 4800 }, (_, i) => Math.sin(i)));
    const want = runReference(graph, new Map([['x', x]])).get('y')!.data as Float32Array;
    const executor = await createExecutor(acquired.device, tuned.plan, tuned.sources, tuned.weights);
    try {
      const got = (await executor.run({ x: x.data as Float32Array })).y!;
      for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i]! - want[i]!) <= 1e-4 * (1 + Math.abs(want[i]!)), `y[${i}]: ${got[i]} vs ${want[i]}`);
    } finally {
      executor.destroy();
    }
  } finally {
    acquired.release();
  }

  // --resume: the default is not measured again and no candidate is measured twice across runs.
  const again = await tuneModel({ graph, adapter: 'llvmpipe', db, trials: 3, seed: 2, resume: true });
  const all = readRecords(db);
  const added = all.slice(records.length);
  assert.ok(added.every((r) => r.run === again.run));
  assert.equal(added.filter((r) => r.phase === 'default').length, 0);
  const searchKeys = all.filter((r) => r.phase === 'search').map((r) => scheduleKey(r.schedule));
  assert.equal(searchKeys.length, 9);
  assert.equal(new Set(searchKeys).size, 9);
});
