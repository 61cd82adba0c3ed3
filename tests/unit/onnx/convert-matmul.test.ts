import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { OnnxAttribute } from '../../../ir/onnx/schema.js';
import { a, f32, singleNode } from '../../helpers/onnx-build.js';
import { rng } from '../../helpers/random.js';
import { opCounts, ortChecker, out, v } from './single-op.js';

const check = ortChecker();

function rand(name: string, shape: readonly number[], seed: number) {
  const rnd = rng(seed);
  return f32(name, shape, Array.from({ length: shape.reduce((p, q) => p * q, 1) }, () => rnd() * 2 - 1));
}

test('MatMul: batched with broadcasting, and 1-D operands', async () => {
  await check(singleNode('MatMul', [v('a', [2, 1, 3, 4]), v('b', [3, 4, 5])], [out('y')]));
  await check(singleNode('MatMul', [v('a', [4]), v('b', [2, 4, 3])], [out('y')]));
  await check(singleNode('MatMul', [v('a', [2, 3, 4]), v('b', [4])], [out('y')]));
});

test('Gemm: transA/transB/alpha/beta variants, C broadcast or absent', async () => {
  const cases: { attrs: Record<string, OnnxAttribute>; a: number[]; b: number[]; c: number[] | undefined }[] = [
    { attrs: {}, a: [3, 4], b: [4, 5], c: [5] },
    { attrs: { transB: a.int(1) }, a: [3, 4], b: [5, 4], c: [3, 5] },
    { attrs: { transA: a.int(1), alpha: a.float(0.5), beta: a.float(2) }, a: [4, 3], b: [4, 5], c: [1, 5] },
    { attrs: { transA: a.int(1), transB: a.int(1), alpha: a.float(-1.5) }, a: [4, 3], b: [5, 4], c: undefined },
    { attrs: { beta: a.float(0) }, a: [3, 4], b: [4, 5], c: [5] },
  ];
  for (const [i, c] of cases.entries()) {
    const inits = [rand('B', c.b, i), ...(c.c ? [rand('C', c.c, i + 10)] : [])];
    await check(singleNode('Gemm', [v('A', c.a)], [out('y')], { attrs: c.attrs, initializers: inits }));
  }
});

test('Gemm folds the transpose and alpha of a constant B into the weights', async () => {
  const g = await check(singleNode('Gemm', [v('A', [3, 4])], [out('y')], { attrs: { transB: a.int(1), alpha: a.float(0.5) }, initializers: [rand('B', [5, 4], 1), rand('C', [5], 2)] }));
  assert.deepEqual(opCounts(g), { const: 2, matmul: 1, add: 1 });
});

test('Gemm with run-time B', async () => {
  await check(singleNode('Gemm', [v('A', [3, 4]), v('B', [5, 4])], [out('y')], { attrs: { transB: a.int(1), alpha: a.float(2) } }));
});

const einsums: [string, number[], number[]][] = [
  ['ij,jk->ik', [3, 4], [4, 5]],
  ['bij,bjk->bik', [2, 3, 4], [2, 4, 5]],
  ['B G H I D, B G H J D -> B G H I J', [1, 2, 3, 4, 5], [1, 2, 3, 6, 5]],
  ['B G H I J, B G H J D -> B G H I D', [1, 2, 3, 4, 6], [1, 2, 3, 6, 5]],
  ['ij,kj->ik', [3, 4], [5, 4]],
  ['ij,kj', [3, 4], [5, 4]],
  ['i,i->', [4], [4]],
  ['ij,j->i', [3, 4], [4]],
  ['bi,bj->bij', [2, 3], [2, 4]],
  ['ijk,jl->lik', [2, 3, 4], [3, 5]],
  ['ij,jk->k', [3, 4], [4, 5]],
  ['bhid,bhjd->bhij', [2, 2, 3, 4], [2, 2, 5, 4]],
];
for (const [eq, sa, sb] of einsums) {
  test(`Einsum '${eq}'`, async () => {
    const g = await check(singleNode('Einsum', [v('a', sa), v('b', sb)], [out('y')], { attrs: { equation: a.string(eq) } }));
    assert.equal(opCounts(g).matmul, 1);
  });
}

test('one-operand Einsum: transpose and reduction', async () => {
  await check(singleNode('Einsum', [v('a', [2, 3, 4])], [out('y')], { attrs: { equation: a.string('ijk->kj') } }));
  await check(singleNode('Einsum', [v('a', [2, 3])], [out('y')], { attrs: { equation: a.string('ij->ji') } }));
});

test('Einsum with an ellipsis or a diagonal is rejected clearly', async () => {
  await assert.rejects(check(singleNode('Einsum', [v('a', [2, 3]), v('b', [3, 4])], [out('y')], { attrs: { equation: a.string('...j,jk->...k') } })), /ellipsis/);
  await assert.rejects(check(singleNode('Einsum', [v('a', [3, 3])], [out('y')], { attrs: { equation: a.string('ii->i') } })), /diagonals/);
});
