import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { waitUntilIdle } from './process-quiet.js';

describe('waitUntilIdle', () => {
  it('returns after one window when the process is idle', async () => {
    const r = await waitUntilIdle({ windowMs: 100, maxCpuShare: 0.5, timeoutMs: 5000 });
    assert.equal(r.idle, true);
    assert.ok(r.waitedMs < 1000, `waited ${r.waitedMs} ms`);
  });

  it('keeps waiting while the process is busy, up to the timeout', async () => {
    // Keep the main thread busy for ~600 ms in slices, so timers still fire between them.
    const until = Date.now() + 600;
    const burn = setInterval(() => {
      const stop = Date.now() + 45;
      while (Date.now() < stop && Date.now() < until);
      if (Date.now() >= until) clearInterval(burn);
    }, 1);
    const r = await waitUntilIdle({ windowMs: 100, maxCpuShare: 0.1, timeoutMs: 5000 });
    clearInterval(burn);
    assert.equal(r.idle, true);
    assert.ok(r.waitedMs >= 500, `returned after ${r.waitedMs} ms while busy`);
  });
});
