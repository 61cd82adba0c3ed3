import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GraphBuilder } from '../../../ir/builder.js';
import { Add, Cast, Concat, Div, Dropout, Expand, Identity, Mul, Relu, Reshape, Sub, Transpose } from '../../../ir/ops/index.js';
import { Tensor } from '../../../ir/tensor.js';
import { tensorType } from '../../../ir/types.js';
import { applyPipeline, opNames } from './apply.js';
import { assertSameResults } from './numerics.js';

const filled = (shape: number[], v: number) => Tensor.f32(shape, new Array(shape.reduce((a, b) => a * b, 1)).fill(v));

test('removes identities, no-op layout nodes and neutral arithmetic; collapses chains', () => {
  const b = new GraphBuilder('g');
  const x = b.input('x', tensorType('f32', ['N', 4, 6]));
  let h = b.add1(Identity, [x], {});
  h = b.add1(Dropout, [h], { ratio: 0.1 });
  h = b.add1(Reshape, [h], { shape: ['N', 4, 6] }); // same shape
  h = b.add1(Reshape, [h], { shape: ['N', 24] });
  h = b.add1(Reshape, [h], { shape: ['N', 6, 4] }); // reshape of reshape
  h = b.add1(Transpose, [h], { perm: [0, 2, 1] });
  h = b.add1(Transpose, [h], { perm: [0, 2, 1] }); // cancels
  h = b.add1(Transpose, [h], { perm: [0, 1, 2] }); // identity perm
  h = b.add1(Mul, [h, b.constant(filled([4], 1))], {});
  h = b.add1(Mul, [b.constant(filled([1, 1, 4], 1)), h], {});
  h = b.add1(Add, [h, b.constant(filled([1, 4], 0))], {});
  h = b.add1(Add, [b.constant(filled([], 0)), h], {});
  h = b.add1(Sub, [h, b.constant(filled([4], 0))], {});
  h = b.add1(Div, [h, b.constant(filled([4], 1))], {});
  h = b.add1(Expand, [h], { shape: [1, 6, 4] });
  h = b.add1(Cast, [h], { to: 'f32' });
  h = b.add1(Concat, [h], { axis: 1 });
  b.output(h, 'out');
  const g = b.build();
  const c = applyPipeline(g, 'canonicalize');
  assert.deepEqual(opNames(c), ['reshape']);
  assert.deepEqual(c.nodes[0]!.inputs, [c.inputs[0]]);
  assert.deepEqual(c.nodes[0]!.attrs, { shape: ['N', 6, 4] });
  assert.equal(c.outputs[0]!.name, 'out');
  assertSameResults(g, c);
});

test('keeps nodes that change the value, the shape or the dtype', () => {
  const b = new GraphBuilder('g');
  const x = b.input('x', tensorType('f32', [4]));
  const broadcastUp = b.add1(Mul, [x, b.constant(filled([3, 4], 1))], {}); // result [3,4] ≠ x's [4]
  const notZero = b.add1(Add, [broadcastUp, b.constant(Tensor.f32([4], [0, 0, 1e-30, 0]))], {});
  const oneOnTheLeft = b.add1(Div, [b.constant(filled([4], 1)), notZero], {}); // 1/x is not x
  const zeroOnTheLeft = b.add1(Sub, [b.constant(filled([4], 0)), oneOnTheLeft], {}); // 0-x is not x
  const ex = b.add1(Expand, [zeroOnTheLeft], { shape: [2, 3, 4] });
  const perm = b.add1(Transpose, [b.add1(Transpose, [ex], { perm: [1, 0, 2] })], { perm: [0, 2, 1] });
  const re = b.add1(Reshape, [b.add1(Relu, [perm], {})], { shape: [24] });
  b.output(b.add1(Cast, [re], { to: 'f16' }), 'out');
  const g = b.build();
  const c = applyPipeline(g, 'canonicalize');
  // Only the transpose pair changes: [1,0,2] then [0,2,1] is the single permutation [1,2,0].
  assert.deepEqual(opNames(c).filter((n) => n !== 'const'), ['mul', 'add', 'div', 'sub', 'expand', 'transpose', 'relu', 'reshape', 'cast']);
  assert.deepEqual(c.nodes.find((n) => n.op === Transpose)!.attrs, { perm: [1, 2, 0] });
  assertSameResults(g, c);
});

test('graph outputs keep their names; a graph input cannot stand for an output', () => {
  const b = new GraphBuilder('g');
  const x = b.input('x', tensorType('f32', [2, 3]));
  const h = b.add1(Relu, [x], {}, { outNames: ['h'] });
  b.output(b.add1(Dropout, [h], {}), 'out1');
  b.output(b.add1(Identity, [h], {}), 'out2');
  b.output(b.add1(Identity, [x], {}), 'out3');
  const g = b.build();
  const c = applyPipeline(g, 'canonicalize');
  // out1 takes over relu's result; out2 and out3 need a value of their own, so one identity each stays.
  assert.deepEqual(opNames(c), ['relu', 'identity', 'identity']);
  assert.deepEqual(
    c.outputs.map((o) => o.name),
    ['out1', 'out2', 'out3'],
  );
  assert.equal(c.nodes[0]!.outputs[0], c.outputs[0]);
  assert.equal(c.nodes[1]!.inputs[0], c.outputs[0]);
  assertSameResults(g, c);
});

test('returns the same graph when nothing applies', () => {
  const b = new GraphBuilder('g');
  const x = b.input('x', tensorType('f32', [2, 3]));
  b.output(b.add1(Relu, [x], {}), 'out');
  const g = b.build();
  assert.equal(applyPipeline(g, 'canonicalize'), g);
});
