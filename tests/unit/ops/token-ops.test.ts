import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VitcError } from '../../../ir/errors.js';
import { Attention, GatherElements, ScatterAdd, TopK } from '../../../ir/ops/index.js';
import { Tensor } from '../../../ir/tensor.js';
import { tensorType } from '../../../ir/types.js';
import { Rng } from '../../helpers/prng.js';
import { assertClose, assertExact, assertRejects, f32, inferTypes, randomTensor, ravel, runOp, runOp1, size, unravel } from '../../helpers/op-testing.js';

/** Values drawn from a few levels, so rows have ties. */
function tiedTensor(rng: Rng, shape: number[], dtype: 'f32' | 'i64' | 'i32'): Tensor {
  return Tensor.fromNumbers(dtype, shape, Array.from({ length: size(shape) }, () => rng.int(-3, 3) * (dtype === 'f32' ? 0.5 : 1)));
}

test('top_k: the k largest or smallest of the last axis, ties by position, any leading shape', () => {
  const rng = new Rng(71);
  for (let t = 0; t < 60; t++) {
    const shape = [...rng.shape(rng.int(0, 2), 1, 3), rng.int(1, 9)];
    const dtype = rng.pick(['f32', 'i64', 'i32'] as const);
    const x = rng.bool() ? tiedTensor(rng, shape, dtype) : randomTensor(rng, shape, dtype, -5, 5);
    const n = shape[shape.length - 1]!;
    const k = rng.int(1, n);
    const largest = rng.bool();
    const [values, indices] = runOp(TopK, [x], { k, largest });
    const wantV: number[] = [];
    const wantI: number[] = [];
    for (let r = 0; r < x.size / n; r++) {
      const row = Array.from({ length: n }, (_, i) => ({ v: x.get(r * n + i), i }));
      // Selection by repeated scans: the best remaining entry, the first one on ties.
      for (let j = 0; j < k; j++) {
        let best = -1;
        row.forEach((e, p) => {
          if (e.i < 0) return;
          if (best < 0 || (largest ? e.v > row[best]!.v : e.v < row[best]!.v)) best = p;
        });
        wantV.push(row[best]!.v);
        wantI.push(row[best]!.i);
        row[best] = { v: 0, i: -1 };
      }
    }
    const outShape = [...shape.slice(0, -1), k];
    assertExact(values!, wantV, outShape, `case ${t}: values of ${dtype}[${shape}] k=${k} largest=${largest}`);
    assertExact(indices!, wantI, outShape, `case ${t}: indices`);
    assert.equal(indices!.dtype, 'i64');
  }
});

test('top_k inference: static last axis, 1 ≤ k ≤ n, symbolic leading axes', () => {
  assert.deepEqual(inferTypes(TopK, [f32(['N', 197])], { k: 50 }).map((t) => [t.dtype, t.shape]), [['f32', ['N', 50]], ['i64', ['N', 50]]]);
  assertRejects(TopK, [f32([4, 5])], { k: 6 }, /'top_k' k=6 must be between 1 and the last axis length 5/);
  assertRejects(TopK, [f32([4, 5])], { k: 0 }, /k=0 must be between 1/);
  assertRejects(TopK, [f32([])], { k: 1 }, /rank ≥ 1/);
  assertRejects(TopK, [f32([4, 'N'])], { k: 1 }, /static last axes/);
});

test('gather_elements: x at per-element indices along any axis, negative from the end', () => {
  const rng = new Rng(72);
  for (let t = 0; t < 50; t++) {
    const x = randomTensor(rng, rng.shape(rng.int(1, 4), 1, 4));
    const axis = rng.int(-x.rank, x.rank - 1);
    const ax = (axis + x.rank) % x.rank;
    const d = x.shape[ax]!;
    const idxShape = x.shape.map((s, a) => (a === ax ? rng.int(1, 5) : rng.int(1, s)));
    const indices = randomTensor(rng, idxShape, rng.pick(['i32', 'i64'] as const), -d, d - 1);
    const want = Array.from({ length: size(idxShape) }, (_, p) => {
      const at = unravel(p, idxShape);
      const j = indices.get(p);
      at[ax] = j < 0 ? j + d : j;
      return x.get(ravel(at, x.shape));
    });
    assertExact(runOp1(GatherElements, [x, indices], { axis }), want, idxShape, `case ${t}: x[${x.shape}] indices[${idxShape}] axis=${axis}`);
  }
});

test('scatter_add: updates added at their indices, repeated indices accumulating', () => {
  const rng = new Rng(73);
  for (let t = 0; t < 50; t++) {
    const data = randomTensor(rng, rng.shape(rng.int(1, 4), 1, 4));
    const axis = rng.int(-data.rank, data.rank - 1);
    const ax = (axis + data.rank) % data.rank;
    const d = data.shape[ax]!;
    const updShape = data.shape.map((s, a) => (a === ax ? rng.int(1, 6) : rng.int(1, s)));
    const indices = randomTensor(rng, updShape, 'i64', -d, d - 1);
    const updates = randomTensor(rng, updShape);
    const want = data.toNumbers().map((v) => v);
    for (let p = 0; p < size(updShape); p++) {
      const at = unravel(p, updShape);
      const j = indices.get(p);
      at[ax] = j < 0 ? j + d : j;
      want[ravel(at, data.shape)]! += updates.get(p);
    }
    assertClose(runOp1(ScatterAdd, [data, indices, updates], { axis }), want, data.shape, `case ${t}: data[${data.shape}] updates[${updShape}] axis=${axis}`);
  }
});

test('gather_elements and scatter_add check their operands and indices', () => {
  const i64 = (shape: (number | string)[]) => tensorType('i64', shape);
  assert.deepEqual(inferTypes(GatherElements, [f32(['N', 17, 64]), i64(['N', 9, 64])], { axis: 1 })[0]!.shape, ['N', 9, 64]);
  assertRejects(GatherElements, [f32([2, 3]), i64([2])], {}, /indices \[2\] must have the rank of \[2,3\]/);
  assertRejects(GatherElements, [f32([2, 3]), i64([2, 4])], { axis: 0 }, /exceed \[2,3\] on axis 1/);
  assertRejects(GatherElements, [f32([2, 3]), f32([2, 3])], {}, /i32 or i64 indices/);
  assertRejects(ScatterAdd, [f32([2, 3]), i64([2, 2]), f32([2, 3])], { axis: 1 }, /updates \[2,3\] and indices \[2,2\] must have the same shape/);
  const bad = (op: typeof GatherElements | typeof ScatterAdd, inputs: Tensor[], message: RegExp) =>
    assert.throws(() => runOp(op as typeof GatherElements, inputs, { axis: 1 }), (e: unknown) => e instanceof VitcError && message.test(e.message));
  const x = Tensor.f32([1, 3], [1, 2, 3]);
  bad(GatherElements, [x, Tensor.fromNumbers('i64', [1, 1], [3])], /'gather_elements' index 3 is out of range for axis 1 of size 3/);
  bad(ScatterAdd, [x, Tensor.fromNumbers('i64', [1, 1], [-4]), Tensor.f32([1, 1], [1])], /'scatter_add' index -4 is out of range/);
});

test('attention with cls_stats: class-token probabilities and value norms, bias included', () => {
  const rng = new Rng(74);
  for (let t = 0; t < 12; t++) {
    const [b, h, tq, tk, d, dv] = [rng.int(1, 2), rng.int(1, 3), rng.int(1, 5), rng.int(1, 6), rng.int(1, 5), rng.int(1, 5)];
    const q = randomTensor(rng, [b, h, tq, d]);
    const k = randomTensor(rng, [b, h, tk, d]);
    const v = randomTensor(rng, [b, h, tk, dv]);
    const bias = randomTensor(rng, [b, 1, 1, tk]);
    const scale = rng.float(0.1, 1);
    const withBias = rng.bool();
    const inputs = withBias ? [q, k, v, bias] : [q, k, v];
    const [out, probs, vnorm] = runOp(Attention, inputs, { scale, cls_stats: true });
    const plain = runOp1(Attention, inputs, { scale });
    assertExact(out!, plain.toNumbers(), plain.shape, `case ${t}: main result unchanged by cls_stats`);
    const wantP: number[] = [];
    const wantN: number[] = [];
    for (let s = 0; s < b * h; s++) {
      const logits = Array.from({ length: tk }, (_, j) => {
        let dotp = 0;
        for (let c = 0; c < d; c++) dotp += q.get(s * tq * d + c) * k.get((s * tk + j) * d + c);
        return dotp * scale + (withBias ? bias.get(Math.floor(s / h) * tk + j) : 0);
      });
      const e = logits.map((l) => Math.exp(l));
      const sum = e.reduce((x, y) => x + y, 0);
      e.forEach((x) => wantP.push(x / sum));
      for (let j = 0; j < tk; j++) {
        let sq = 0;
        for (let c = 0; c < dv; c++) sq += v.get((s * tk + j) * dv + c) ** 2;
        wantN.push(Math.sqrt(sq));
      }
    }
    assertClose(probs!, wantP, [b, h, tk], `case ${t}: probabilities of row 0`);
    assertClose(vnorm!, wantN, [b, h, tk], `case ${t}: value norms`);
  }
  assert.deepEqual(
    inferTypes(Attention, [f32(['N', 4, 17, 16]), f32(['N', 4, 17, 16]), f32(['N', 4, 17, 16])], { cls_stats: true }).map((x) => x.shape),
    [['N', 4, 17, 16], ['N', 4, 17], ['N', 4, 17]],
  );
});
