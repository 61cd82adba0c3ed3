import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GraphBuilder } from '../../../ir/builder.js';
import { Add, Mul, Relu, Transpose } from '../../../ir/ops/index.js';
import { Tensor } from '../../../ir/tensor.js';
import { tensorType } from '../../../ir/types.js';
import { applyPipeline, opNames } from './apply.js';
import { assertSameResults } from './numerics.js';

test('merges equal nodes and equal constants, transitively', () => {
  const b = new GraphBuilder('g');
  const x = b.input('x', tensorType('f32', ['N', 3]));
  const c1 = b.constant(Tensor.f32([3], [1, 2, 3]));
  const c2 = b.constant(Tensor.f32([3], [1, 2, 3]));
  const m1 = b.add1(Mul, [b.add1(Relu, [x], {}), c1], {});
  const m2 = b.add1(Mul, [b.add1(Relu, [x], {}), c2], {}); // equal once relu and the constant merge
  b.output(b.add1(Add, [m1, m2], {}), 'out');
  const g = b.build();
  const c = applyPipeline(g, 'cse');
  assert.deepEqual(opNames(c), ['const', 'relu', 'mul', 'add']);
  const [, , mul, add] = c.nodes;
  assert.equal(add!.inputs[0], add!.inputs[1]);
  assert.equal(add!.inputs[0], mul!.outputs[0]);
  assertSameResults(g, c);
});

test('keeps nodes that differ in attributes, operands, operand order or constant bits', () => {
  const b = new GraphBuilder('g');
  const x = b.input('x', tensorType('f32', [2, 2]));
  const y = b.input('y', tensorType('f32', [2, 2]));
  const z = b.input('z', tensorType('f32', [200]));
  const t1 = b.add1(Transpose, [x], { perm: [1, 0] });
  const t2 = b.add1(Transpose, [x], { perm: [0, 1] });
  const s1 = b.add1(Add, [x, y], {});
  const s2 = b.add1(Add, [y, x], {}); // commutative, but CSE is structural
  const z1 = b.add1(Mul, [x, b.constant(Tensor.f32([1], [0]))], {});
  const z2 = b.add1(Mul, [x, b.constant(Tensor.f32([1], [-0]))], {}); // -0 is a different constant
  const ramp = Array.from({ length: 200 }, (_, i) => i);
  const other = [...ramp];
  other[101] = -1; // an element the sampled digest skips: only the exact comparison tells them apart
  const big1 = b.add1(Mul, [z, b.constant(Tensor.f32([200], ramp))], {});
  const big2 = b.add1(Mul, [z, b.constant(Tensor.f32([200], other))], {});
  let h = b.add1(Add, [t1, t2], {});
  for (const v of [s1, s2, z1, z2]) h = b.add1(Add, [h, v], {});
  b.output(h, 'out');
  b.output(big1, 'b1');
  b.output(big2, 'b2');
  const g = b.build();
  const c = applyPipeline(g, 'cse');
  assert.equal(c, g, 'nothing merged');
});

test('does not merge two graph outputs into one value', () => {
  const b = new GraphBuilder('g');
  const x = b.input('x', tensorType('f32', [3]));
  b.output(b.add1(Relu, [x], {}), 'a');
  b.output(b.add1(Relu, [x], {}), 'b');
  const inner = b.add1(Relu, [x], {});
  b.output(b.add1(Add, [inner, inner], {}), 'c');
  const g = b.build();
  const c = applyPipeline(g, 'cse');
  // The third relu merges into output a's; b keeps its own node.
  assert.deepEqual(opNames(c), ['relu', 'relu', 'add']);
  assert.equal(c.nodes[2]!.inputs[0], c.outputs[0]);
  assertSameResults(g, c);
});
