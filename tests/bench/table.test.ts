import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ModelResult, ParticipantResult } from './harness.js';
import { summarize } from './stats.js';
import { markdownTable } from './table.js';

const row = (name: string, adapter: string, runs: number[], extra: Partial<ParticipantResult> = {}): ParticipantResult => ({
  name,
  adapter,
  runsMs: runs,
  perImage: summarize(runs),
  checks: [],
  ...extra,
});

function cells(table: string, name: string, adapter: string): string[] {
  const line = table.split('\n').find((l) => l.includes(`| ${name} | ${adapter}`));
  assert.ok(line, `no row for ${name}@${adapter} in\n${table}`);
  return line.split('|').slice(1, -1).map((c) => c.trim());
}

describe('markdownTable', () => {
  const result: ModelResult = {
    model: 'vit',
    batch: 1,
    rounds: 3,
    participants: [
      row('ort-webgpu', 'llvmpipe', [300, 100, 200], { setupMs: 1000, firstRunMs: 500 }),
      row('vitc', 'llvmpipe', [40, 50, 60]),
      row('ort-webgpu', 'swiftshader', [900, 1000, 1100]),
      row('vitc', 'swiftshader', [400, 500, 600]),
      row('ort-wasm', 'cpu', [70]),
      row('broken', 'llvmpipe', [], { error: 'no | luck' }),
    ],
  };
  const table = markdownTable([result], 'ort-webgpu');

  it('takes ratios against the baseline on the same adapter', () => {
    assert.equal(cells(table, 'vitc', 'llvmpipe')[7], '4.00×'); // 200 / 50
    assert.equal(cells(table, 'vitc', 'swiftshader')[7], '2.00×'); // 1000 / 500
    assert.equal(cells(table, 'ort-webgpu', 'llvmpipe')[7], '1.00×');
  });

  it('leaves the ratio blank where the baseline is ambiguous', () => {
    assert.equal(cells(table, 'ort-wasm', 'cpu')[7], '—');
  });

  it('prints median, min, run count and first inference', () => {
    const c = cells(table, 'ort-webgpu', 'llvmpipe');
    assert.deepEqual(c.slice(3, 7), ['200', '100', '3', '1500 (1000 + 500)']);
  });

  it('shows failures without breaking the table', () => {
    const c = cells(table, 'broken', 'llvmpipe');
    assert.equal(c.length, 9);
    assert.match(c[3]!, /failed: no \/ luck/);
  });
});
