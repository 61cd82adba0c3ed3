import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bestSoFar, renderReport } from '../../../codegen/tune/report.js';
import { fakeDevice, fakeRecord, mm } from './fake-records.js';

const llvmpipe = fakeDevice();
const swiftshader = fakeDevice({ vendor: 'google', architecture: 'swiftshader', backend: 'vulkan', name: 'SwiftShader' });
const at = (i: number) => `2026-01-01T00:00:${String(i).padStart(2, '0')}.000Z`;

test('best-so-far per device and workload: failures and pruned measurements never lower the curve', () => {
  const records = [
    fakeRecord(llvmpipe, 'k1', mm(1, 1), null, { at: at(0), workload: 'matmul A' }),
    fakeRecord(llvmpipe, 'k1', mm(2, 1), 5, { at: at(1), workload: 'matmul A' }),
    fakeRecord(llvmpipe, 'k1', mm(4, 1), null, { at: at(2), workload: 'matmul A', status: 'wrong', message: 'element 0' }),
    fakeRecord(swiftshader, 'k1', mm(8, 1), 9, { at: at(2), workload: 'matmul A' }),
    fakeRecord(llvmpipe, 'k1', mm(8, 1), 3, { at: at(3), workload: 'matmul A' }),
    fakeRecord(llvmpipe, 'k1', mm(8, 2), 1, { at: at(4), workload: 'matmul A', pruned: true }),
    fakeRecord(llvmpipe, 'k2', mm(1, 2), 7, { at: at(5), workload: 'matmul B' }),
    fakeRecord(llvmpipe, 'k1', mm(8, 4), 4, { at: at(6), workload: 'matmul A' }),
  ];
  const points = bestSoFar(records);
  const curve = (device: string, workload: string) => points.filter((p) => p.device === device && p.workload.startsWith(workload)).map((p) => [p.trial, p.bestMs]);
  // Trial 1 failed (no point yet); trials count failures; 1 ms was pruned, so the best stays 3.
  assert.deepEqual(curve('llvmpipe', 'matmul A'), [[2, 5], [3, 5], [4, 3], [5, 3], [6, 3]]);
  assert.deepEqual(curve('llvmpipe', 'matmul B'), [[1, 7]]);
  assert.deepEqual(curve('SwiftShader', 'matmul A'), [[1, 9]]);
});

test('the report renders headlessly to an SVG with a panel per device and a line per workload', async () => {
  const records = [
    fakeRecord(llvmpipe, 'k1', mm(2, 1), 5, { at: at(1), workload: 'matmul 197×576×192 +ln' }),
    fakeRecord(llvmpipe, 'k1', mm(8, 1), 3, { at: at(2), workload: 'matmul 197×576×192 +ln' }),
    fakeRecord(llvmpipe, 'k2', mm(8, 1), 2, { at: at(3), workload: 'attention 3·197×197×64' }),
    fakeRecord(swiftshader, 'k1', mm(8, 1), 9, { at: at(2), workload: 'matmul 197×576×192 +ln' }),
  ];
  const svg = await renderReport(records);
  assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.ok(svg.trimEnd().endsWith('</svg>'));
  for (const text of ['matmul 197×576×192 +ln', 'attention 3·197×197×64', 'llvmpipe', 'SwiftShader', 'trials']) assert.ok(svg.includes(text), `the plot names ${text}`);
  // One line path per (device, workload) series: three.
  assert.equal((svg.match(/<path[^>]*aria-roledescription="line mark"/g) ?? []).length, 3);
});
