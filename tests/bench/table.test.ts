import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ModelResult, ParticipantResult } from './harness.js';
import { summarize } from './stats.js';
import { markdownTable, summaryTable } from './table.js';

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
      row('vitc', 'llvmpipe', [40, 50, 60], { setupMs: 2000, compileMs: 1500, firstRunMs: 60 }),
      row('ort-webgpu', 'swiftshader', [900, 1000, 1100]),
      row('vitc', 'swiftshader', [400, 500, 600]),
      row('ort-wasm', 'cpu', [70]),
      row('broken', 'llvmpipe', [], { error: 'no | luck' }),
    ],
  };
  const table = markdownTable([result], ['ort-webgpu', 'ort-wasm']);

  it('takes ratios against the baseline on the same adapter', () => {
    assert.equal(cells(table, 'vitc', 'llvmpipe')[8], '4.00×'); // 200 / 50
    assert.equal(cells(table, 'vitc', 'swiftshader')[8], '2.00×'); // 1000 / 500
    assert.equal(cells(table, 'ort-webgpu', 'llvmpipe')[8], '1.00×');
  });

  it('compares every row with the only row of an adapter-less baseline', () => {
    assert.equal(cells(table, 'vitc', 'llvmpipe')[9], '1.40×'); // 70 / 50
    assert.equal(cells(table, 'ort-webgpu', 'swiftshader')[9], '0.070×'); // 70 / 1000
    assert.equal(cells(table, 'ort-wasm', 'cpu')[9], '1.00×');
  });

  it('leaves the ratio blank where the baseline is ambiguous', () => {
    assert.equal(cells(table, 'ort-wasm', 'cpu')[8], '—');
  });

  it('prints the compile time where a participant has one', () => {
    assert.equal(cells(table, 'vitc', 'llvmpipe')[7], '1500');
    assert.equal(cells(table, 'ort-webgpu', 'llvmpipe')[7], '—');
  });

  it('prints median, min, run count and first inference', () => {
    const c = cells(table, 'ort-webgpu', 'llvmpipe');
    assert.deepEqual(c.slice(3, 7), ['200', '100', '3', '1500 (1000 + 500)']);
  });

  it('shows failures without breaking the table', () => {
    const c = cells(table, 'broken', 'llvmpipe');
    assert.equal(c.length, 11);
    assert.match(c[3]!, /failed: no \/ luck/);
  });
});

describe('summaryTable', () => {
  const result: ModelResult = {
    model: 'vit',
    batch: 2,
    rounds: 2,
    participants: [
      row('vitc', 'llvmpipe', [10, 30], { setupMs: 2500, compileMs: 900, firstRunMs: 40 }),
      row('ort-webgpu', 'llvmpipe', [600, 400], { setupMs: 70000, firstRunMs: 5000 }),
      row('vitc', 'swiftshader', [], { error: 'lost' }),
      row('ort-webgpu', 'swiftshader', [3000]),
      row('ort-wasm', 'cpu', [80, 80], { setupMs: 300, firstRunMs: 90 }),
    ],
  };
  const table = summaryTable([result], 'vitc', ['ort-webgpu', 'ort-wasm']);
  const line = (adapter: string): string[] => {
    const l = table.split('\n').find((x) => x.startsWith(`| vit (batch 2) | ${adapter} |`));
    assert.ok(l, `no ${adapter} line in\n${table}`);
    return l.split('|').slice(1, -1).map((c) => c.trim());
  };

  it('puts vitc next to each peer on the same adapter, with speed-ups, first inference and compile time', () => {
    assert.deepEqual(line('llvmpipe'), ['vit (batch 2)', 'llvmpipe', '20.0', '500', '80.0', '25.00×', '4.00×', '2.54 / 75 / 0.39', '900']);
  });

  it('has one line per adapter vitc ran on and shows a failure without ratios', () => {
    assert.equal(table.split('\n').length, 4);
    const c = line('swiftshader');
    assert.equal(c[2], 'failed');
    assert.deepEqual(c.slice(5, 7), ['—', '—']);
  });
});
