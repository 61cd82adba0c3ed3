import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GraphBuilder } from '../../../ir/builder.js';
import { isOp } from '../../../ir/graph.js';
import { Add, Const, Expand, Fill, Gather, MatMul, Mul, Tile, Transpose } from '../../../ir/ops/index.js';
import { Tensor } from '../../../ir/tensor.js';
import { tensorType } from '../../../ir/types.js';
import { applyPipeline, opNames } from './apply.js';
import { assertSameResults } from './numerics.js';

test('folds transpose and arithmetic on weights; keeps nodes with a runtime operand', () => {
  const b = new GraphBuilder('g');
  const x = b.input('x', tensorType('f32', ['N', 3]));
  const w = b.constant(Tensor.f32([2, 3], [1, 2, 3, 4, 5, 6]), 'w');
  const wt = b.add1(Transpose, [w], { perm: [1, 0] }, { outNames: ['w_t'] });
  const bias = b.add1(Add, [b.constant(Tensor.f32([2], [0.5, -1])), b.constant(Tensor.f32([2], [2, 3]))], {});
  const scaled = b.add1(Mul, [bias, b.add1(Fill, [], { shape: [2], value: 2, dtype: 'f32' })], {});
  b.output(b.add1(Add, [b.add1(MatMul, [x, wt], {}), scaled], {}), 'y');
  const g = b.build();
  const f = applyPipeline(g, 'fold-constants');
  assert.deepEqual(opNames(f), ['const', 'const', 'matmul', 'add']);
  const [wNode, bNode] = f.nodes;
  assert.ok(wNode && isOp(wNode, Const) && bNode && isOp(bNode, Const));
  // Independent values: w transposed by hand, (bias_a + bias_b) * 2.
  assert.deepEqual(wNode.attrs.value.shape, [3, 2]);
  assert.deepEqual(wNode.attrs.value.toNumbers(), [1, 4, 2, 5, 3, 6]);
  assert.equal(wNode.outputs[0]!.name, 'w_t', 'a folded value keeps its name');
  assert.deepEqual(bNode.attrs.value.toNumbers(), [5, 4]);
  assertSameResults(g, f);
});

test('an output computed from constants becomes a const with the output name', () => {
  const b = new GraphBuilder('g');
  const x = b.input('x', tensorType('f32', [2]));
  b.output(b.add1(Add, [x, x], {}), 'a');
  b.output(b.add1(Mul, [b.constant(Tensor.f32([2], [1, 2])), b.constant(Tensor.f32([2], [3, 4]))], {}), 'c');
  const g = b.build();
  const f = applyPipeline(g, 'fold-constants');
  assert.deepEqual(opNames(f), ['add', 'const']);
  assert.equal(f.outputs[1]!.name, 'c');
  assert.deepEqual((f.nodes[1]!.attrs as { value: Tensor }).value.toNumbers(), [3, 8]);
  assertSameResults(g, f);
});

test('respects the size cap, symbolic shapes and reference errors, with remarks', () => {
  const b = new GraphBuilder('g');
  const x = b.input('x', tensorType('f32', ['N', 10, 10]));
  const one = b.constant(Tensor.f32([1], [1]));
  const big = b.add1(Expand, [one], { shape: [10, 10] }); // 400 bytes
  const small = b.add1(Tile, [one], { repeats: [10] }); // 40 bytes
  const sym = b.add1(Fill, [], { shape: ['N', 1, 1], value: 3, dtype: 'f32' });
  const idx = b.constant(Tensor.fromNumbers('i64', [1], [7]));
  const bad = b.add1(Gather, [small, idx], { axis: 0 }); // index 7 of 10: fine
  const worse = b.add1(Gather, [bad, b.constant(Tensor.fromNumbers('i64', [1], [5]))], { axis: 0 }); // index 5 of 1: error
  let h = b.add1(Add, [x, big], {});
  h = b.add1(Mul, [h, sym], {});
  h = b.add1(Add, [h, b.add1(Add, [small, worse], {})], {});
  b.output(h, 'out');
  const g = b.build();
  const remarks: string[] = [];
  const f = applyPipeline(g, 'fold-constants{max-bytes=100}', remarks);
  // expand (over the cap), fill (symbolic) and the failing gather stay; tile and the good gather fold.
  assert.deepEqual(opNames(f).filter((n) => n !== 'const'), ['expand', 'fill', 'gather', 'add', 'mul', 'add', 'add']);
  assert.equal(remarks.length, 2, remarks.join(''));
  assert.match(remarks[0]!, /^remark: fold-constants\{max-bytes=100\}: not folding 'expand' .*400 bytes exceed max-bytes=100/);
  assert.match(remarks[1]!, /not folding 'gather': .*out of range/);
  // With the default cap the expand folds.
  assert.ok(!opNames(applyPipeline(g, 'fold-constants')).includes('expand'));
});

test('leaves a graph without foldable nodes alone', () => {
  const b = new GraphBuilder('g');
  const x = b.input('x', tensorType('f32', [2]));
  b.output(b.add1(Add, [x, b.constant(Tensor.f32([2], [1, 2]))], {}), 'out');
  const g = b.build();
  assert.equal(applyPipeline(g, 'fold-constants'), g);
});
