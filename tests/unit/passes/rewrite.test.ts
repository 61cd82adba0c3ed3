import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GraphBuilder } from '../../../ir/builder.js';
import { isOp } from '../../../ir/graph.js';
import { Exp, Neg, Relu, Reshape } from '../../../ir/ops/index.js';
import { tensorType } from '../../../ir/types.js';
import { verifyGraph } from '../../../ir/verify.js';
import { rewriteGraph, type RewritePattern } from '../../../passes/rewrite.js';
import { assertSameResults } from './numerics.js';

function chain() {
  const b = new GraphBuilder('g');
  const x = b.input('x', tensorType('f32', [2, 3]));
  const n1 = b.add1(Neg, [x], {}, { outNames: ['n1'] });
  const n2 = b.add1(Neg, [n1], {});
  b.output(b.add1(Exp, [b.add1(Neg, [b.add1(Neg, [n2], {})], {})], {}), 'out');
  return b.build();
}

/** neg(neg(x)) → x: applies to overlapping pairs; later sweeps finish the job. */
const doubleNeg: RewritePattern = {
  name: 'neg neg',
  match(n, site) {
    if (!isOp(n, Neg)) return undefined;
    const inner = site.graph.producer(n.inputs[0]!);
    return inner && isOp(inner, Neg) ? [inner.inputs[0]!] : undefined;
  },
};

test('applies patterns to a fixpoint and reports each application', () => {
  const g = chain();
  const applied: string[] = [];
  const r = rewriteGraph(g, [doubleNeg], { onApply: (p, n) => applied.push(`${p}@${n.outputs[0]!.id}`) });
  verifyGraph(r);
  assert.deepEqual(r.nodes.map((n) => n.op.name), ['exp']);
  assert.equal(r.nodes[0]!.inputs[0], r.inputs[0]);
  assert.ok(applied.length >= 2, applied.join(' '));
  assertSameResults(g, r);
});

test('patterns that never settle are stopped with an error', () => {
  // Replaces every exp by a fresh exp: always "applies", never converges.
  const churn: RewritePattern = { name: 'churn', match: (n, site) => (isOp(n, Exp) ? [site.add1(Exp, n.inputs, {})] : undefined) };
  assert.throws(() => rewriteGraph(chain(), [churn], { maxSweeps: 5 }), /did not reach a fixpoint after 5 sweeps/);
});

test('a pattern must not emit nodes and then decline, nor change a result type', () => {
  const g = chain();
  const sloppy: RewritePattern = {
    name: 'sloppy',
    match: (n, site) => {
      if (isOp(n, Exp)) site.add1(Relu, n.inputs, {});
      return undefined;
    },
  };
  assert.throws(() => rewriteGraph(g, [sloppy]), /'sloppy' emitted nodes but did not apply/);
  const retype: RewritePattern = {
    name: 'retype',
    match: (n, site) => (isOp(n, Exp) ? [site.add1(Reshape, n.inputs, { shape: [6] })] : undefined),
  };
  assert.throws(() => rewriteGraph(g, [retype]), /'retype' replaced a f32\[2,3\] with a f32\[6\]/);
});
