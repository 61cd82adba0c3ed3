import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GraphBuilder } from '../../../ir/builder.js';
import type { Value } from '../../../ir/graph.js';
import { Add, Div, MatMul, Mul, Reshape, Slice, Softmax, Transpose } from '../../../ir/ops/index.js';
import { Tensor } from '../../../ir/tensor.js';
import { tensorType } from '../../../ir/types.js';
import { applyPipeline, opNames } from './apply.js';
import { assertSameResults, randomTensor, rng } from './numerics.js';

/** torch.nn.MultiheadAttention as torch 1.13 exports it: packed QKV, head split, q / sqrt(d). */
function torchMha(batch: number | 'N', t: number, heads: number, d: number) {
  const b = new GraphBuilder('mha');
  const c = heads * d;
  const x = b.input('x', tensorType('f32', [t, batch, 3 * c]));
  const part = (i: number) => b.add1(Slice, [x], { starts: [i * c], ends: [(i + 1) * c], axes: [-1], steps: [1] });
  const bh = batch === 'N' ? `${heads}*N` : batch * heads;
  const heads3 = (v: Value, perm: number[]) => b.add1(Transpose, [b.add1(Reshape, [v], { shape: [t, bh, d] })], { perm });
  const q = heads3(part(0), [1, 0, 2]);
  const kT = heads3(part(1), [1, 2, 0]);
  const v = heads3(part(2), [1, 0, 2]);
  const qs = b.add1(Div, [q, b.constant(Tensor.scalar('f32', Math.sqrt(d)))], {});
  const s = b.add1(MatMul, [qs, kT], {});
  const p = b.add1(Softmax, [s], { axis: 2 });
  b.output(b.add1(MatMul, [p, v], {}), 'out');
  return b.build();
}

test('torch MHA export becomes one attention op with the 1/sqrt(d) scale', () => {
  for (const batch of [1, 2, 'N'] as const) {
    const g = torchMha(batch, 5, 2, 4);
    const f = applyPipeline(g, 'fuse-attention');
    const att = f.nodes.filter((n) => n.op.name === 'attention');
    assert.equal(att.length, 1, opNames(f).join(','));
    assert.ok(!opNames(f).includes('softmax') && !opNames(f).includes('matmul'));
    assert.equal((att[0]!.attrs as { scale: number }).scale, 0.5);
    assertSameResults(g, f);
  }
});

test('Swin-style chain: bias add, per-window mask through reshapes, scaled scores', () => {
  const [nw, h, n, d] = [4, 2, 6, 3];
  const next = rng(9);
  const b = new GraphBuilder('swin');
  const q = b.input('q', tensorType('f32', [nw, h, n, d]));
  const kT = b.input('kT', tensorType('f32', [nw, h, d, n]));
  const v = b.input('v', tensorType('f32', [nw, h, n, d]));
  const qs = b.add1(Mul, [q, b.constant(Tensor.scalar('f32', 0.25))], {});
  let s = b.add1(MatMul, [qs, kT], {});
  s = b.add1(Add, [s, b.constant(randomTensor('f32', [1, h, n, n], next))], {});
  s = b.add1(Reshape, [s], { shape: [1, nw, h, n, n] });
  s = b.add1(Add, [s, b.constant(randomTensor('f32', [1, nw, 1, n, n], next))], {});
  s = b.add1(Reshape, [s], { shape: [nw, h, n, n] });
  s = b.add1(Mul, [s, b.constant(Tensor.scalar('f32', 2))], {});
  b.output(b.add1(MatMul, [b.add1(Softmax, [s], { axis: -1 }), v], {}), 'out');
  const g = b.build();
  const f = applyPipeline(g, 'fuse-attention,fold-constants');
  const att = f.nodes.find((x) => x.op.name === 'attention')!;
  assert.ok(att, opNames(f).join(','));
  assert.equal(att.inputs.length, 4);
  assert.equal((att.attrs as { scale: number }).scale, 0.5);
  assert.ok(!opNames(f).includes('softmax'));
  assertSameResults(g, f);
});

test('chains whose softmax output is used elsewhere are left alone', () => {
  const b = new GraphBuilder('g');
  const q = b.input('q', tensorType('f32', [2, 4, 3]));
  const kT = b.input('kT', tensorType('f32', [2, 3, 4]));
  const v = b.input('v', tensorType('f32', [2, 4, 3]));
  const p = b.add1(Softmax, [b.add1(MatMul, [q, kT], {})], { axis: -1 });
  b.output(b.add1(MatMul, [p, v], {}), 'out');
  b.output(p, 'probs');
  const g = b.build();
  assert.deepEqual(opNames(applyPipeline(g, 'fuse-attention')), opNames(g));
});
