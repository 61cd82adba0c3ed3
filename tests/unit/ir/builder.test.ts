import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GraphBuilder } from '../../../ir/builder.js';
import { VitcError } from '../../../ir/errors.js';
import { Add, Gelu, MatMul, Relu } from '../../../ir/ops/index.js';
import { Tensor } from '../../../ir/tensor.js';
import { tensorType } from '../../../ir/types.js';
import { verifyGraph } from '../../../ir/verify.js';

test('builder infers symbolic batch shapes through matmul and broadcasting add', () => {
  const b = new GraphBuilder('g');
  const x = b.input('x', tensorType('f32', ['N', 4, 3]));
  const w = b.constant(Tensor.f32([3, 5], new Array(15).fill(1)), 'w');
  const y = b.add1(MatMul, [x, w], {});
  const bias = b.constant(Tensor.f32([5], [1, 2, 3, 4, 5]), 'bias');
  const z = b.add1(Add, [y, bias], {});
  b.output(b.add1(Relu, [z], {}), 'out');
  const g = b.build();
  verifyGraph(g);
  assert.deepEqual(g.outputs[0]!.type.shape, ['N', 4, 5]);
  assert.equal(g.outputs[0]!.name, 'out');
});

test('builder reports the op on a shape mismatch', () => {
  const b = new GraphBuilder('g');
  const x = b.input('x', tensorType('f32', [2, 3]));
  const w = b.input('w', tensorType('f32', [4, 5]));
  assert.throws(() => b.add1(MatMul, [x, w], {}), (e: unknown) => e instanceof VitcError && /matmul.*contraction sizes differ/.test(e.message));
});

test('matmul reference broadcasts batch axes and promotes 1-D operands', () => {
  const a = Tensor.f32([2, 1, 2, 3], [1, 2, 3, 4, 5, 6, -1, -2, -3, -4, -5, -6]);
  const b = Tensor.f32([3, 3, 1], [1, 0, 2, 0, 1, 0, 3, 3, 3]);
  // Independent check: explicit loops over the broadcast batch.
  const [out] = MatMul.reference([a, b], {});
  assert.deepEqual(out!.shape, [2, 3, 2, 1]);
  const av = a.toNumbers();
  const bv = b.toNumbers();
  for (let i = 0; i < 2; i++)
    for (let j = 0; j < 3; j++)
      for (let r = 0; r < 2; r++) {
        let s = 0;
        for (let k = 0; k < 3; k++) s += av[i * 6 + r * 3 + k]! * bv[j * 3 + k]!;
        assert.equal(out!.get(((i * 3 + j) * 2 + r)), s);
      }
  const [v] = MatMul.reference([Tensor.f32([3], [1, 2, 3]), Tensor.f32([3], [4, 5, 6])], {});
  assert.deepEqual(v!.shape, []);
  assert.equal(v!.get(0), 32);
});

test('attributes with defaults may be left out and are filled in', () => {
  const b = new GraphBuilder('g');
  const x = b.input('x', tensorType('f32', [2]));
  b.output(b.add1(Gelu, [x], {}), 'y');
  const g = b.build();
  assert.equal((g.nodes[0]!.attrs as { approximate: string }).approximate, 'none');
});
