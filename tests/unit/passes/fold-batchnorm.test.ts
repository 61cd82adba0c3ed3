import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GraphBuilder } from '../../../ir/builder.js';
import type { Value } from '../../../ir/graph.js';
import { Add, BatchNorm, Conv, ConvTranspose, MatMul, Relu, Reshape } from '../../../ir/ops/index.js';
import { Tensor } from '../../../ir/tensor.js';
import { tensorType } from '../../../ir/types.js';
import { applyPipeline, opNames } from './apply.js';
import { assertSameResults, randomTensor, rng } from './numerics.js';

const next = rng(7);
const rand = (shape: number[]) => randomTensor('f32', shape, next);
/** Positive variances away from zero, as trained statistics are. */
const variance = (c: number) => Tensor.f32([c], Array.from({ length: c }, () => 0.1 + next()));

function bn(b: GraphBuilder, x: Value, c: number): Value {
  const [gamma, beta, mean] = [rand([c]), rand([c]), rand([c])].map((t) => b.constant(t));
  return b.add1(BatchNorm, [x, gamma!, beta!, mean!, b.constant(variance(c))], { epsilon: 1e-3 });
}

const conv2d = { strides: [1, 2], pads: [1, 0, 1, 1], dilations: [1, 1] };

test('folds into conv (with and without bias, grouped) and conv_transpose (grouped)', () => {
  const b = new GraphBuilder('g');
  const x = b.input('x', tensorType('f32', ['N', 4, 5, 6]));
  let h = b.add1(Conv, [x, b.constant(rand([6, 4, 3, 3])), b.constant(rand([6]))], conv2d);
  h = bn(b, h, 6);
  h = b.add1(Conv, [h, b.constant(rand([4, 3, 1, 3]))], { ...conv2d, group: 2 }); // no bias
  h = bn(b, h, 4);
  h = b.add1(ConvTranspose, [h, b.constant(rand([4, 3, 2, 2])), b.constant(rand([6]))], {
    strides: [2, 1],
    pads: [0, 0, 0, 1],
    dilations: [1, 1],
    output_padding: [1, 0],
    group: 2,
  });
  h = bn(b, h, 6);
  b.output(h, 'out');
  const g = b.build();
  const f = applyPipeline(g, 'fold-batchnorm');
  assert.deepEqual(opNames(f).filter((n) => n !== 'const'), ['conv', 'conv', 'conv_transpose']);
  assert.equal(f.outputs[0]!.name, 'out');
  // Every conv now has a constant bias.
  for (const n of f.nodes) if (n.op === Conv || n.op === ConvTranspose) assert.equal(n.inputs.length, 3);
  assertSameResults(g, f, { rtol: 1e-4, atol: 1e-4 });
});

test('folds into matmul, matmul + bias, and matmul + bias through a token-flattening reshape', () => {
  const b = new GraphBuilder('g');
  const x = b.input('x', tensorType('f32', ['N', 5]));
  let h = bn(b, b.add1(MatMul, [x, b.constant(rand([5, 3]))], {}), 3);
  h = b.add1(Add, [b.add1(MatMul, [h, b.constant(rand([3, 4]))], {}), b.constant(rand([1, 4]))], {});
  h = bn(b, h, 4);
  // LeViT's Linear → flatten(0, 1) → BatchNorm1d → reshape back.
  const t = b.add1(Reshape, [h], { shape: ['N', 2, 2] });
  const y = b.add1(Add, [b.constant(rand([4])), b.add1(MatMul, [t, b.constant(rand([2, 4]))], {})], {});
  const flat = b.add1(Reshape, [y], { shape: ['2*N', 4] });
  b.output(b.add1(Reshape, [bn(b, flat, 4)], { shape: ['N', 2, 4] }), 'out');
  const g = b.build();
  const f = applyPipeline(g, 'fold-batchnorm');
  assert.ok(!opNames(f).includes('batch_norm'), opNames(f).join(' '));
  assert.deepEqual(opNames(f).filter((n) => n !== 'const'), ['matmul', 'add', 'matmul', 'add', 'reshape', 'matmul', 'add', 'reshape', 'reshape']);
  assertSameResults(g, f, { rtol: 1e-4, atol: 1e-4 });
});

test('leaves batch_norm alone when the producer has other users or a parameter is not constant', () => {
  const b = new GraphBuilder('g');
  const x = b.input('x', tensorType('f32', ['N', 2, 4, 4]));
  const gamma = b.input('gamma', tensorType('f32', [3]));
  const conv = b.add1(Conv, [x, b.constant(rand([3, 2, 1, 1]))], { strides: [1, 1], pads: [0, 0, 0, 0], dilations: [1, 1] });
  const shared = bn(b, conv, 3);
  const side = b.add1(Relu, [conv], {}); // conv has two users
  const conv2 = b.add1(Conv, [shared, b.constant(rand([3, 3, 1, 1]))], { strides: [1, 1], pads: [0, 0, 0, 0], dilations: [1, 1] });
  const runtimeGamma = b.add1(BatchNorm, [conv2, gamma, b.constant(rand([3])), b.constant(rand([3])), b.constant(variance(3))], {});
  const mmIn = b.input('m', tensorType('f32', ['N', 3]));
  const wide = b.add1(MatMul, [b.add1(Reshape, [mmIn], { shape: ['N', 1, 3] }), b.constant(rand([3, 3]))], {}); // [N,1,3]: channels are axis 1
  b.output(b.add1(Add, [runtimeGamma, side], {}), 'out');
  b.output(bn(b, wide, 1), 'out2');
  const g = b.build();
  assert.equal(applyPipeline(g, 'fold-batchnorm'), g);
});
