import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WEBGPU_DEFAULT_LIMITS } from '../../../codegen/schedule/limits.js';
import type { Schedule } from '../../../codegen/schedule/types.js';
import { CostModel } from '../../../codegen/tune/cost-model.js';
import { features } from '../../../codegen/tune/features.js';
import type { Outcome } from '../../../codegen/tune/measure.js';
import { SeededRandom } from '../../../codegen/tune/random.js';
import { search, type SearchState } from '../../../codegen/tune/search.js';
import { scheduleKey, scheduleSpace } from '../../../codegen/tune/space.js';
import { matmulWorkload } from './workloads.js';

/*
 * The search against a synthetic device (no GPU): time is a smooth function of the knobs with
 * one optimum, so how quickly the search gets near it can be compared with random sampling.
 */

const w = matmulWorkload(197, 576, 192, { prologue: 'folded' });
const space = scheduleSpace(w, WEBGPU_DEFAULT_LIMITS);

/** Fastest at wg 16×8, tile 4×4, vec4, unroll 4, no split-K, vec4 A; every knob away from it costs time. */
function syntheticMs(s: Schedule): number {
  if (s.kind !== 'matmul') throw new Error('matmul only');
  const off = (x: number, best: number) => Math.abs(Math.log2(x) - Math.log2(best));
  return 1 + 0.6 * off(s.wgX, 16) + 0.5 * off(s.wgY, 8) + 0.7 * off(s.tm, 4) + 0.7 * off(s.tn, 4) + (s.vec === 4 ? 0 : 0.8) + 0.2 * off(s.kUnroll, 4) + (s.interleave ? 0.1 : 0) + 0.4 * off(s.kSplit ?? 1, 1) + (s.aVec === 4 ? 0 : 0.3);
}
const optimum = Math.min(...space.points.map(syntheticMs));

function ok(ms: number): Outcome {
  return { status: 'ok', medianMs: ms, minMs: ms, samplesMs: [ms], method: 'host', pruned: false };
}

function freshState(seed: number): SearchState {
  const fallback = space.points[space.points.length - 1]!;
  return { workload: w, space, model: new CostModel({ seed }), defaultMs: syntheticMs(fallback), measured: new Map([[scheduleKey(fallback), { schedule: fallback, outcome: ok(syntheticMs(fallback)) }]]), rng: new SeededRandom(seed) };
}

test('the model-guided search gets closer to the optimum than random sampling with the same trials', async () => {
  assert.ok(space.points.length > 500, `a real space (${space.points.length} points)`);
  const trials = 90;
  let guidedWins = 0;
  for (const seed of [1, 2, 3]) {
    const state = freshState(seed);
    const proposed: string[] = [];
    const result = await search(state, async (s) => (proposed.push(scheduleKey(s)), ok(syntheticMs(s))), { maxTrials: trials, deadline: Infinity, patience: 1000 });
    assert.equal(result.trials, trials);
    assert.equal(result.stopped, 'trials');
    assert.equal(new Set(proposed).size, proposed.length, 'no schedule measured twice');
    assert.ok(proposed.every((k) => space.index.has(k)), 'every proposal is a point of the space');
    const rng = new SeededRandom(seed + 100);
    const random = Math.min(...Array.from({ length: trials }, () => syntheticMs(rng.pick(space.points))));
    if (result.best!.medianMs < random) guidedWins++;
    assert.ok(result.best!.medianMs <= optimum * 1.5, `seed ${seed}: best ${result.best!.medianMs} vs optimum ${optimum}`);
  }
  assert.ok(guidedWins >= 2, `guided search beat random sampling on ${guidedWins} of 3 seeds`);
});

test('early stopping: no improvement for `patience` trials ends the search', async () => {
  const state = freshState(5);
  // A flat device: nothing beats the first measurement.
  const result = await search(state, async () => ok(2), { maxTrials: 500, deadline: Infinity, patience: 10, batch: 4 });
  assert.equal(result.stopped, 'converged');
  assert.ok(result.trials <= 11, `${result.trials} trials`);
});

test('seeds are measured first; wrong candidates never become the best; the deadline stops the search', async () => {
  const state = freshState(7);
  const seeds = [space.points[3]!, space.points[10]!];
  const order: string[] = [];
  const fastest = space.points.reduce((a, b) => (syntheticMs(a) <= syntheticMs(b) ? a : b));
  const result = await search(
    state,
    async (s) => {
      order.push(scheduleKey(s));
      // The fastest schedule computes garbage on this device.
      return scheduleKey(s) === scheduleKey(fastest) ? { status: 'wrong', message: 'element 0' } : ok(syntheticMs(s));
    },
    { maxTrials: 40, deadline: Infinity, seeds, patience: 1000 },
  );
  assert.deepEqual(order.slice(0, 2), seeds.map(scheduleKey));
  assert.notEqual(scheduleKey(result.best!.schedule), scheduleKey(fastest));
  const late = await search(freshState(8), async (s) => ok(syntheticMs(s)), { maxTrials: 40, deadline: performance.now() - 1 });
  assert.deepEqual([late.trials, late.stopped], [0, 'time']);
});

test('the cost model learns a relation from features and ranks unseen schedules by it', () => {
  const model = new CostModel({ seed: 3 });
  const rng = new SeededRandom(11);
  const train = Array.from({ length: 80 }, () => rng.pick(space.points));
  for (const s of train) model.add(features(w, s), Math.log(syntheticMs(s)));
  model.fit();
  assert.ok(model.trained);
  const test = Array.from({ length: 60 }, () => rng.pick(space.points));
  const predicted = model.predict(test.map((s) => features(w, s))).map((p) => p.mean);
  const actual = test.map((s) => Math.log(syntheticMs(s)));
  assert.ok(spearman(predicted, actual) > 0.6, `rank correlation ${spearman(predicted, actual)}`);
});

function ranks(xs: readonly number[]): number[] {
  const order = xs.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
  const r = new Array<number>(xs.length);
  order.forEach(([, i], k) => (r[i] = k));
  return r;
}

function spearman(a: readonly number[], b: readonly number[]): number {
  const ra = ranks(a);
  const rb = ranks(b);
  const n = a.length;
  const d2 = ra.reduce((s, r, i) => s + (r - rb[i]!) ** 2, 0);
  return 1 - (6 * d2) / (n * (n * n - 1));
}
