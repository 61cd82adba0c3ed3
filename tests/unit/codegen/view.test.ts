import assert from 'node:assert/strict';
import { test } from 'node:test';
import { u32 } from '../../../codegen/kernel-ir/build.js';
import { evaluate } from '../../../codegen/kernel-ir/evaluate.js';
import * as V from '../../../codegen/plan/view.js';
import { randInt, rng } from '../../helpers/random.js';

/** Independent model of a view: the buffer offset of every logical element (-1 = padding). */
interface Model {
  shape: number[];
  at: number[];
}

const strides = (shape: number[]) => shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
const total = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const unravel = (i: number, shape: number[]) => strides(shape).map((s, a) => Math.floor(i / s) % shape[a]!);
const ravel = (idx: number[], shape: number[]) => idx.reduce((acc, x, a) => acc + x * strides(shape)[a]!, 0);

function build(shape: number[], f: (idx: number[]) => number): Model {
  return { shape, at: Array.from({ length: total(shape) }, (_, i) => f(unravel(i, shape))) };
}

function check(v: V.View, m: Model): void {
  assert.deepEqual([...V.viewShape(v)], m.shape);
  for (let i = 0; i < m.at.length; i++) {
    const idx = unravel(i, m.shape);
    const acc = V.viewAccess(v, idx.map((x) => u32(x)));
    const valid = acc.valid ? evaluate(acc.valid) : 1;
    const got = valid ? evaluate(acc.offset) : -1;
    assert.equal(got, m.at[i], `element [${idx}] of shape [${m.shape}]`);
  }
}

test('random chains of view changes address the same elements as an explicit index model', () => {
  const r = rng(7);
  for (let trial = 0; trial < 300; trial++) {
    let shape = Array.from({ length: randInt(r, 1, 4) }, () => randInt(r, 1, 4));
    let v = V.contiguousView(shape);
    let m = build(shape, (idx) => ravel(idx, shape));
    for (let step = 0; step < 5; step++) {
      const kind = randInt(r, 0, 5);
      shape = m.shape;
      if (kind === 0) {
        const perm = shape.map((_, i) => i).sort(() => r() - 0.5);
        v = V.permute(v, perm);
        const prev = m;
        m = build(perm.map((p) => shape[p]!), (idx) => prev.at[ravel(perm.map((_, a) => idx[perm.indexOf(a)]!), prev.shape)]!);
      } else if (kind === 1) {
        // Reshape by splitting or merging factors of the element count.
        const n = total(shape);
        const dims: number[] = [];
        let rest = n;
        while (rest > 1 && dims.length < 4) {
          const divisors = [...Array(rest).keys()].map((x) => x + 1).filter((d) => rest % d === 0 && d > 1);
          const d = divisors[randInt(r, 0, divisors.length - 1)]!;
          dims.push(d);
          rest /= d;
        }
        if (dims.length === 0) dims.push(1);
        if (rest > 1) dims.push(rest);
        v = V.reshape(v, dims);
        const prev = m;
        m = { shape: dims, at: prev.at };
      } else if (kind === 2) {
        const axis = randInt(r, 0, shape.length - 1);
        const d = shape[axis]!;
        const start = randInt(r, 0, d - 1);
        const stepSize = randInt(r, 1, 2);
        const count = Math.max(1, Math.floor((d - start - 1) / stepSize) + 1);
        v = V.slice(v, axis, start, count, stepSize);
        const prev = m;
        const ns = shape.map((x, a) => (a === axis ? count : x));
        m = build(ns, (idx) => prev.at[ravel(idx.map((x, a) => (a === axis ? start + x * stepSize : x)), prev.shape)]!);
      } else if (kind === 3) {
        const begins = shape.map(() => randInt(r, 0, 1));
        const ends = shape.map(() => randInt(r, 0, 1));
        v = V.pad(v, begins, ends);
        const prev = m;
        const ns = shape.map((x, a) => x + begins[a]! + ends[a]!);
        m = build(ns, (idx) => {
          const src = idx.map((x, a) => x - begins[a]!);
          return src.every((x, a) => x >= 0 && x < shape[a]!) ? prev.at[ravel(src, prev.shape)]! : -1;
        });
      } else if (kind === 4) {
        // Broadcast size-1 axes and possibly add a leading axis.
        const ns = [...(r() < 0.3 ? [2] : []), ...shape.map((x) => (x === 1 ? randInt(r, 1, 3) : x))];
        v = V.expand(v, ns);
        const prev = m;
        const lead = ns.length - shape.length;
        m = build(ns, (idx) => prev.at[ravel(idx.slice(lead).map((x, a) => (shape[a] === 1 ? 0 : x)), prev.shape)]!);
      } else if (shape.length > 1) {
        const axis = randInt(r, 0, shape.length - 1);
        const index = randInt(r, 0, shape[axis]! - 1);
        v = V.selectIndex(v, axis, index);
        const prev = m;
        m = build(shape.filter((_, a) => a !== axis), (idx) => prev.at[ravel([...idx.slice(0, axis), index, ...idx.slice(axis)], prev.shape)]!);
      }
      check(v, m);
    }
  }
});

test('reshape of a transposed layout stays a single strided layer when dims stay contiguous', () => {
  // [B,T,3,H,D] -> permute [2,0,3,1,4] -> q = index 0 -> [B,H,T,D]: one layer, no div/mod.
  let v = V.reshape(V.contiguousView([2, 5, 3 * 4 * 8]), [2, 5, 3, 4, 8]);
  v = V.permute(v, [2, 0, 3, 1, 4]);
  v = V.selectIndex(v, 0, 1);
  assert.equal(v.layers.length, 1);
  assert.deepEqual([...V.viewShape(v)], [2, 4, 5, 8]);
  // Merging (h, d) after moving t between them needs a second layer.
  const merged = V.reshape(V.permute(V.contiguousView([2, 4, 5, 8]), [0, 2, 1, 3]), [2, 5, 32]);
  assert.equal(merged.layers.length, 2);
  assert.equal(V.isContiguous(V.reshape(V.contiguousView([6, 4]), [2, 3, 4])), true);
});
