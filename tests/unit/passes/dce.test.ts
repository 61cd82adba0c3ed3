import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GraphBuilder } from '../../../ir/builder.js';
import { Add, Exp, Relu, Split } from '../../../ir/ops/index.js';
import { Tensor } from '../../../ir/tensor.js';
import { tensorType } from '../../../ir/types.js';
import { applyPipeline, opNames } from './apply.js';
import { assertSameResults } from './numerics.js';

test('removes nodes no output depends on, keeping multi-result nodes with one live result', () => {
  const b = new GraphBuilder('g');
  const x = b.input('x', tensorType('f32', [4, 2]));
  b.input('unused', tensorType('f32', [1]));
  const [top, bottom] = b.add(Split, [x], { axis: 0, sizes: [1, 3] });
  const deadChain = b.add1(Exp, [b.add1(Relu, [bottom!], {})], {});
  b.add1(Add, [deadChain, b.constant(Tensor.f32([1], [1]))], {});
  b.output(b.add1(Relu, [top!], {}), 'out');
  const g = b.build();
  const d = applyPipeline(g, 'dce');
  assert.deepEqual(opNames(d), ['split', 'relu']);
  assert.deepEqual(
    d.inputs.map((v) => v.name),
    ['x', 'unused'],
    'graph inputs are part of the signature and stay',
  );
  assertSameResults(g, d);
});

test('returns the same graph when everything is live', () => {
  const b = new GraphBuilder('g');
  const x = b.input('x', tensorType('f32', [2]));
  b.output(b.add1(Relu, [x], {}), 'out');
  const g = b.build();
  assert.equal(applyPipeline(g, 'dce'), g);
});
