import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GraphBuilder } from '../../../ir/builder.js';
import { VitcError } from '../../../ir/errors.js';
import { Add, Fill, MatMul, Reshape, Transpose } from '../../../ir/ops/index.js';
import { Tensor } from '../../../ir/tensor.js';
import { tensorType } from '../../../ir/types.js';
import { verifyGraph } from '../../../ir/verify.js';
import { symbolicDimsAttr } from '../../../passes/properties.js';
import { applyPipeline } from './apply.js';
import { assertSameResults } from './numerics.js';

/** Patch-token style graph: x[N,4,6] → reshape [4*N, 6] → matmul → reshape [N, 4, 2] + mask fill. */
function tokens() {
  const b = new GraphBuilder('g');
  const x = b.input('x', tensorType('f32', ['N', 4, 6]));
  const flat = b.add1(Reshape, [x], { shape: ['4*N', 6] });
  const y = b.add1(MatMul, [flat, b.constant(Tensor.f32([6, 2], [1, 0, 0, 1, 1, 1, -1, 2, 0.5, 0, 0, 3]))], {});
  const back = b.add1(Reshape, [y], { shape: ['N', 4, 2] });
  const mask = b.add1(Fill, [], { shape: ['N', 1, 2], value: 0.25, dtype: 'f32' });
  b.output(b.add1(Transpose, [b.add1(Add, [back, mask], {})], { perm: [1, 0, 2] }), 'out');
  return b.build();
}

test('batch=B binds the symbolic batch in every type and dims attribute', () => {
  const g = tokens();
  const s = applyPipeline(g, 'infer-shapes{batch=3}');
  verifyGraph(s);
  assert.deepEqual(s.inputs[0]!.type.shape, [3, 4, 6]);
  assert.deepEqual(
    s.nodes.map((n) => n.outputs[0]!.type.shape),
    [[12, 6], [6, 2], [12, 2], [3, 4, 2], [3, 1, 2], [3, 4, 2], [4, 3, 2]],
  );
  assert.ok(s.nodes.every((n) => symbolicDimsAttr(n) === undefined));
  assert.deepEqual(s.outputs.map((o) => o.name), ['out']);
  assertSameResults(g, s, { batch: 3 });
});

test('without batch, or on a static graph, the graph comes back unchanged', () => {
  const g = tokens();
  assert.equal(applyPipeline(g, 'infer-shapes'), g);
  const s = applyPipeline(g, 'infer-shapes{batch=2}');
  assert.equal(applyPipeline(s, 'infer-shapes{batch=5}'), s);
});

test('refuses to bind a batch when the graph has two symbols', () => {
  const b = new GraphBuilder('g');
  const x = b.input('x', tensorType('f32', ['N', 2]));
  const y = b.input('y', tensorType('f32', ['M', 2]));
  b.output(b.add1(Add, [x, x], {}), 'a');
  b.output(b.add1(Add, [y, y], {}), 'b');
  assert.throws(
    () => applyPipeline(b.build(), 'infer-shapes{batch=2}'),
    (e: unknown) => e instanceof VitcError && /in pass 'infer-shapes\{batch=2\}': batch=2 binds one symbolic dimension, but the graph has 2: N, M/.test(e.message),
  );
});
