import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Tensor } from '../../ir/tensor.js';
import { measureModel, type BenchModel, type Participant, type Tensors } from './harness.js';

/** A fake clock, and participants that advance it by a fixed cost per run and log their calls. */
function world() {
  let t = 0;
  const calls: string[] = [];
  const output = (v: number): Tensors => new Map([['y', Tensor.f32([2], [v, v + 1])]]);
  const participant = (name: string, o: { setupMs?: number; runMs: number; failSetup?: boolean; failAtRun?: number; value?: number }): Participant => ({
    name,
    adapter: 'fake',
    async setup() {
      calls.push(`${name}:setup`);
      t += o.setupMs ?? 0;
      if (o.failSetup) throw new Error(`${name} cannot start`);
      let runs = 0;
      return {
        device: 'fake device',
        async run() {
          runs++;
          calls.push(name);
          if (runs === o.failAtRun) throw new Error(`${name} broke`);
          t += o.runMs;
          return output(o.value ?? 1);
        },
        async release() {
          calls.push(`${name}:release`);
        },
      };
    },
  });
  return { now: () => t, calls, participant, output };
}

const model = (batch = 1): BenchModel => ({ name: 'm', path: 'm.onnx', inputs: new Map([['x', Tensor.f32([batch], new Array(batch).fill(0))]]), batch });

describe('measureModel', () => {
  it('measures first inference one by one, then alternates participants every round, rotating the start', async () => {
    const w = world();
    const ps = ['a', 'b', 'c'].map((n) => w.participant(n, { runMs: 1 }));
    const r = await measureModel(model(), ps, { rounds: 3, warmup: 1, budgetMs: 1e9, now: w.now, settle: false });
    assert.deepEqual(w.calls, [
      'a:setup', 'a', 'b:setup', 'b', 'c:setup', 'c', // first inference
      'a', 'b', 'c', // warm-up (round 0)
      'a', 'b', 'c', 'b', 'c', 'a', 'c', 'a', 'b', // timed rounds 0..2
      'a:release', 'b:release', 'c:release',
    ]);
    assert.equal(r.rounds, 3);
    for (const p of r.participants) assert.equal(p.runsMs.length, 3);
  });

  it('reports setup, first run and per-image statistics from the clock', async () => {
    const w = world();
    const r = await measureModel(model(4), [w.participant('a', { setupMs: 50, runMs: 8 })], { rounds: 5, warmup: 0, budgetMs: 1e9, now: w.now, settle: false });
    const a = r.participants[0]!;
    assert.equal(a.setupMs, 50);
    assert.equal(a.firstRunMs, 8);
    assert.deepEqual(a.runsMs, [8, 8, 8, 8, 8]);
    assert.equal(a.perImage.median, 2);
    assert.equal(a.perImage.min, 2);
    assert.equal(a.device, 'fake device');
  });

  it('stops starting rounds once the time budget is spent, after at least one', async () => {
    const w = world();
    const r = await measureModel(model(), [w.participant('a', { runMs: 10 }), w.participant('b', { runMs: 15 })], { rounds: 100, warmup: 0, budgetMs: 60, now: w.now, settle: false });
    // Each round costs 25 ms: rounds start at 0, 25, 50 and none at 75.
    assert.equal(r.rounds, 3);
    const one = await measureModel(model(), [w.participant('c', { runMs: 1000 })], { rounds: 100, warmup: 0, budgetMs: 0, now: w.now, settle: false });
    assert.equal(one.rounds, 1);
  });

  it('records a failing participant and keeps measuring the others', async () => {
    const w = world();
    const r = await measureModel(
      model(),
      [w.participant('bad', { runMs: 1, failSetup: true }), w.participant('flaky', { runMs: 1, failAtRun: 3 }), w.participant('good', { runMs: 1 })],
      { rounds: 4, warmup: 0, budgetMs: 1e9, now: w.now, settle: false },
    );
    const [bad, flaky, good] = r.participants;
    assert.match(bad!.error!, /bad cannot start/);
    assert.equal(bad!.runsMs.length, 0);
    assert.match(flaky!.error!, /flaky broke/);
    assert.equal(flaky!.runsMs.length, 1); // first inference, one timed run, then the third run threw
    assert.equal(good!.error, undefined);
    assert.equal(good!.runsMs.length, 4);
    assert.ok(w.calls.includes('flaky:release'));
  });

  it('compares first-inference outputs with the reference', async () => {
    const w = world();
    const reference = w.output(1);
    const r = await measureModel(model(), [w.participant('right', { runMs: 1 }), w.participant('wrong', { runMs: 1, value: 1.5 })], {
      rounds: 1,
      warmup: 0,
      budgetMs: 1e9,
      now: w.now, settle: false,
      reference,
    });
    const [right, wrong] = r.participants;
    assert.equal(right!.checks[0]!.diff.maxAbs, 0);
    assert.equal(wrong!.checks[0]!.diff.maxAbs, 0.5);
    assert.equal(wrong!.checks[0]!.diff.mismatches, 2);
  });
});
