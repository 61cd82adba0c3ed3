import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GraphBuilder } from '../../../ir/builder.js';
import { Tensor } from '../../../ir/tensor.js';
import { tensorType } from '../../../ir/types.js';
import { bipartiteMerge, prune } from '../../../passes/token-reduction/merge.js';
import { runReference } from '../../../runtime/reference/interpreter.js';
import { Rng } from '../../helpers/prng.js';
import { tomeMerge } from '../../helpers/tiny-vit.js';

/*
 * The merge and prune subgraphs the passes emit, run by the reference interpreter on random
 * tokens with random sizes, against the straightforward per-image implementation of the method.
 */

type Mat = number[][];

function randomImages(rng: Rng, batch: number, t: number, c: number, distinct: boolean): { x: Mat[]; size: number[][]; metric: Mat[] } {
  const mat = (cols: number) => Array.from({ length: t }, () => Array.from({ length: cols }, () => rng.float(-1, 1)));
  return {
    x: Array.from({ length: batch }, () => mat(c)),
    // Sizes as earlier merges leave them: whole numbers of patches, or fractions to rule out luck.
    size: Array.from({ length: batch }, () => Array.from({ length: t }, () => (distinct ? rng.float(0.5, 4) : rng.int(1, 4)))),
    metric: Array.from({ length: batch }, () => mat(5)),
  };
}

function merged(t: number, c: number, batch: number, r: number, data: ReturnType<typeof randomImages>): { x: Float32Array; size: Float32Array } {
  const b = new GraphBuilder('merge');
  const x = b.input('x', tensorType('f32', [batch, t, c]));
  const size = b.input('size', tensorType('f32', [batch, t, 1]));
  const metric = b.input('metric', tensorType('f32', [batch, t, 5]));
  const out = bipartiteMerge(b, { x, size }, metric, r);
  b.output(out.x, 'x_out');
  b.output(out.size, 'size_out');
  const inputs = new Map([
    ['x', Tensor.f32([batch, t, c], data.x.flat(2))],
    ['size', Tensor.f32([batch, t, 1], data.size.flat())],
    ['metric', Tensor.f32([batch, t, 5], data.metric.flat(2))],
  ]);
  const res = runReference(b.build(), inputs);
  return { x: res.get('x_out')!.data as Float32Array, size: res.get('size_out')!.data as Float32Array };
}

const f32 = (v: number) => Math.fround(v);

test('bipartite merge with sizes matches the straightforward ToMe merge on random data, per image', () => {
  const rng = new Rng(91);
  for (const [t, c, batch] of [[7, 3, 2], [8, 4, 3], [17, 6, 2]] as const)
    for (const r of [1, 2, Math.floor((t - 1) / 2)])
      for (const distinct of [false, true]) {
        const data = randomImages(rng, batch, t, c, distinct);
        // The straightforward version on the float32 values the graph sees.
        const got = merged(t, c, batch, r, data);
        const keep = t - r;
        assert.equal(got.size.length, batch * keep);
        for (let i = 0; i < batch; i++) {
          const want = tomeMerge(data.x[i]!.map((row) => row.map(f32)), data.size[i]!.map(f32), data.metric[i]!.map((row) => row.map(f32)), r);
          const what = `T=${t} r=${r} image ${i}${distinct ? ' (fractional sizes)' : ''}`;
          want.size.forEach((s, j) => assert.ok(Math.abs(got.size[i * keep + j]! - s) <= 1e-6 * s, `${what}: size ${j}: ${got.size[i * keep + j]} vs ${s}`));
          want.x.forEach((row, j) => row.forEach((v, ch) => assert.ok(Math.abs(got.x[(i * keep + j) * c + ch]! - v) <= 1e-5, `${what}: token ${j} channel ${ch}: ${got.x[(i * keep + j) * c + ch]} vs ${v}`)));
        }
      }
});

test('prune keeps the class token, then the highest-scoring patches by score, with their sizes', () => {
  const rng = new Rng(92);
  const [batch, t, c, keep] = [3, 9, 4, 5];
  const data = randomImages(rng, batch, t, c, true);
  const scores = Array.from({ length: batch }, () => Array.from({ length: t }, () => rng.float(0, 1)));
  const b = new GraphBuilder('prune');
  const x = b.input('x', tensorType('f32', [batch, t, c]));
  const size = b.input('size', tensorType('f32', [batch, t, 1]));
  const score = b.input('score', tensorType('f32', [batch, t]));
  const out = prune(b, { x, size }, score, keep);
  b.output(out.x, 'x_out');
  b.output(out.size, 'size_out');
  const res = runReference(b.build(), new Map([
    ['x', Tensor.f32([batch, t, c], data.x.flat(2))],
    ['size', Tensor.f32([batch, t, 1], data.size.flat())],
    ['score', Tensor.f32([batch, t], scores.flat())],
  ]));
  const gotX = res.get('x_out')!.data as Float32Array;
  const gotS = res.get('size_out')!.data as Float32Array;
  for (let i = 0; i < batch; i++) {
    // The class token first, then the kept patches by descending score (ties by position).
    const kept = [0, ...scores[i]!.map((v, j) => [v, j] as const).slice(1).sort((p, q) => f32(q[0]) - f32(p[0]) || p[1] - q[1]).slice(0, keep - 1).map(([, j]) => j)];
    kept.forEach((j, k) => {
      assert.equal(gotS[i * keep + k], f32(data.size[i]![j]!), `image ${i}: kept token ${k} is token ${j}`);
      assert.deepEqual(Array.from(gotX.subarray((i * keep + k) * c, (i * keep + k + 1) * c)), data.x[i]![j]!.map(f32), `image ${i}: kept token ${k}`);
    });
  }
});
