import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { GraphBuilder } from '../../../ir/builder.js';
import { Concat, Dropout, Expand, Fill, Identity, OP_REGISTRY, Range } from '../../../ir/ops/index.js';
import { Tensor } from '../../../ir/tensor.js';
import { tensorType } from '../../../ir/types.js';
import { verifyGraph } from '../../../ir/verify.js';
import { runReference } from '../../../runtime/reference/interpreter.js';
import { repoPath } from '../../helpers/paths.js';
import { assertClose, assertExact, assertRejects, f32, inferShape, runOp1 } from '../../helpers/op-testing.js';

test('every op in the catalog (ir/ops/README.md) is registered under its name', () => {
  const readme = readFileSync(repoPath('ir', 'ops', 'README.md'), 'utf8');
  const names = new Set<string>();
  for (const line of readme.split('\n')) {
    const first = line.split('|')[1];
    if (!first || !line.startsWith('|')) continue;
    // "`const`" or "unary float: `exp log ...`" or "`reduce_mean reduce_sum reduce_max`"
    for (const m of first.matchAll(/`([^`]+)`/g)) for (const n of m[1]!.split(/\s+/)) names.add(n);
  }
  assert.ok(names.size > 50, `parsed ${names.size} op names from the catalog`);
  const missing = [...names].filter((n) => !OP_REGISTRY.has(n));
  assert.deepEqual(missing, []);
  for (const [name, op] of OP_REGISTRY) assert.equal(op.name, name);
});

test('identity and dropout return x unchanged', () => {
  const x = Tensor.f32([2, 2], [1, -2, 3, 4]);
  assert.equal(runOp1(Identity, [x], {}), x);
  assert.equal(runOp1(Dropout, [x], { ratio: 0.1 }), x);
  assertRejects(Dropout, [f32([2])], { ratio: 1 }, /ratio must be in \[0, 1\)/);
});

test('range matches ONNX Range: start + i·delta below the limit, both directions', () => {
  const cases = [
    { start: 0, limit: 5, delta: 1, dtype: 'i64' as const },
    { start: 1.5, limit: -3.2, delta: -0.7, dtype: 'f32' as const },
    { start: 3, limit: 3, delta: 1, dtype: 'i32' as const },
    { start: 10, limit: 1, delta: 3, dtype: 'f32' as const },
    { start: -2, limit: 9, delta: 4, dtype: 'i32' as const },
  ];
  for (const c of cases) {
    const want: number[] = [];
    for (let v = c.start; c.delta > 0 ? v < c.limit - 1e-9 : v > c.limit + 1e-9; v = c.start + want.length * c.delta) want.push(v);
    assertClose(runOp1(Range, [], c), want, [want.length], JSON.stringify(c));
  }
  assertRejects(Range, [], { start: 0, limit: 1, delta: 0, dtype: 'f32' }, /delta must be a finite non-zero number/);
  assertRejects(Range, [], { start: 0, limit: 1, delta: 1, dtype: 'bool' }, /cannot produce bool/);
});

test('fill and expand take their symbolic shape from the bound batch at run time', () => {
  const b = new GraphBuilder('g');
  const x = b.input('x', tensorType('f32', ['N', 2, 3]));
  const mask = b.add1(Fill, [], { shape: ['N', 1, 3], value: 0.5, dtype: 'f32' });
  const cls = b.constant(Tensor.f32([1, 1, 3], [7, 8, 9]));
  const tokens = b.add1(Expand, [cls], { shape: ['N', 1, 3] });
  b.output(b.add1(Concat, [tokens, x, mask], { axis: 1 }), 'y');
  const g = b.build();
  verifyGraph(g);
  assert.deepEqual(g.outputs[0]!.type.shape, ['N', 4, 3]);
  const input = Tensor.f32([2, 2, 3], [1, 2, 3, 4, 5, 6, -1, -2, -3, -4, -5, -6]);
  const y = runReference(g, new Map([['x', input]])).get('y')!;
  const want = [7, 8, 9, 1, 2, 3, 4, 5, 6, 0.5, 0.5, 0.5, 7, 8, 9, -1, -2, -3, -4, -5, -6, 0.5, 0.5, 0.5];
  assertExact(y, want, [2, 4, 3], 'fill/expand/concat under N=2');
  assert.deepEqual(inferShape(Fill, [], { shape: ['N', 3], value: 1, dtype: 'bool' }), ['N', 3]);
  assertRejects(Fill, [], { shape: [2, -1], value: 1, dtype: 'f32' }, /negative size/);
});
