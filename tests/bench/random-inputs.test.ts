import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { randomNormalTensor } from './random-inputs.js';
import { summarize } from './stats.js';

describe('randomNormalTensor', () => {
  it('is the same for the same seed and differs for another', () => {
    const a = randomNormalTensor([3, 5], 7);
    assert.deepEqual([...a.data], [...randomNormalTensor([3, 5], 7).data]);
    assert.notDeepEqual([...a.data], [...randomNormalTensor([3, 5], 8).data]);
    assert.deepEqual(a.shape, [3, 5]);
  });

  it('looks standard normal', () => {
    const t = randomNormalTensor([20001], 1);
    const xs = [...t.data];
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length;
    assert.ok(Math.abs(mean) < 0.05, `mean ${mean}`);
    assert.ok(Math.abs(variance - 1) < 0.05, `variance ${variance}`);
    assert.ok(xs.every(Number.isFinite));
  });
});

describe('summarize', () => {
  it('takes the middle element, or the mean of the two middle ones', () => {
    assert.equal(summarize([5, 1, 3]).median, 3);
    assert.equal(summarize([4, 1, 3, 2]).median, 2.5);
    assert.deepEqual(summarize([4, 1, 3, 2]), { count: 4, median: 2.5, min: 1, max: 4, mean: 2.5 });
    assert.ok(Number.isNaN(summarize([]).median));
  });
});
