import assert from 'node:assert/strict';
import type { AttrSchema, AttrsIn, ResolvedAttrs } from '../../ir/attrs.js';
import type { Dim } from '../../ir/dim.js';
import type { DType } from '../../ir/dtype.js';
import { VitcError } from '../../ir/errors.js';
import { normalizeAttrs } from '../../ir/normalize-attrs.js';
import type { OpDef } from '../../ir/op.js';
import { Tensor } from '../../ir/tensor.js';
import { type TensorType, tensorType, typeOf } from '../../ir/types.js';
import type { Rng } from './prng.js';

/**
 * Runs an op's reference on static tensors with defaults filled in, and checks that its inference
 * predicts exactly the result types the reference produced.
 */
export function runOp<S extends AttrSchema>(op: OpDef<S>, inputs: readonly Tensor[], attrs: AttrsIn<S>): Tensor[] {
  const full = normalizeAttrs(op, attrs);
  const types = op.infer(inputs.map(typeOf), full);
  const outs = op.reference(inputs, full as unknown as ResolvedAttrs<S>);
  assert.equal(outs.length, types.length, `${op.name}: result count`);
  outs.forEach((t, i) => {
    assert.equal(t.dtype, types[i]!.dtype, `${op.name}: result ${i} dtype`);
    assert.deepEqual([...t.shape], [...types[i]!.shape], `${op.name}: result ${i} shape vs inference`);
  });
  return outs;
}

export function runOp1<S extends AttrSchema>(op: OpDef<S>, inputs: readonly Tensor[], attrs: AttrsIn<S>): Tensor {
  const outs = runOp(op, inputs, attrs);
  assert.equal(outs.length, 1);
  return outs[0]!;
}

/** Result types from inference on declared operand types. */
export function inferTypes<S extends AttrSchema>(op: OpDef<S>, inputs: readonly TensorType[], attrs: AttrsIn<S>): TensorType[] {
  return op.infer(inputs, normalizeAttrs(op, attrs));
}

export function inferShape<S extends AttrSchema>(op: OpDef<S>, inputs: readonly TensorType[], attrs: AttrsIn<S>): Dim[] {
  return [...inferTypes(op, inputs, attrs)[0]!.shape];
}

/** Asserts inference rejects the operands with a VitcError whose message matches. */
export function assertRejects<S extends AttrSchema>(op: OpDef<S>, inputs: readonly TensorType[], attrs: AttrsIn<S>, message: RegExp): void {
  assert.throws(
    () => inferTypes(op, inputs, attrs),
    (e: unknown) => e instanceof VitcError && message.test(e.message),
    `${op.name} should reject ${inputs.map((t) => `${t.dtype}[${t.shape.join(',')}]`).join(', ')} ${JSON.stringify(attrs)} with ${message}`,
  );
}

export const f32 = (shape: readonly Dim[]): TensorType => tensorType('f32', shape);

/** Uniform random values in [lo, hi), stored as `dtype`. */
export function randomTensor(rng: Rng, shape: readonly number[], dtype: DType = 'f32', lo = -2, hi = 2): Tensor {
  const n = shape.reduce((p, d) => p * d, 1);
  const values = Array.from({ length: n }, () => (dtype === 'f32' ? rng.float(lo, hi) : rng.int(lo, hi)));
  return Tensor.fromNumbers(dtype, shape, values);
}

/** Asserts `actual` equals `expected` (values as float32 would store them) within atol + rtol·|e|. */
export function assertClose(actual: Tensor, expected: ArrayLike<number>, shape: readonly number[], what: string, rtol = 1e-5, atol = 1e-6): void {
  assert.deepEqual([...actual.shape], [...shape], `${what}: shape`);
  assert.equal(actual.size, expected.length, `${what}: element count`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual.get(i);
    const e = Math.fround(expected[i]!);
    if (a === e || (Number.isNaN(e) && Number.isNaN(a))) continue;
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) assert.fail(`${what}: element ${i} is ${a}, expected ${e}`);
  }
}

/** Asserts exact equality of values (layout ops move data, they never round it). */
export function assertExact(actual: Tensor, expected: ArrayLike<number>, shape: readonly number[], what: string): void {
  assert.deepEqual([...actual.shape], [...shape], `${what}: shape`);
  assert.deepEqual(actual.toNumbers(), Array.from(expected), `${what}: values`);
}

/** Row-major strides, written out here so naive test implementations do not lean on the code under test. */
export function rowMajor(shape: readonly number[]): number[] {
  const s: number[] = [];
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/** Multi-index of flat position i. */
export function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let ax = shape.length - 1; ax >= 0; ax--) {
    idx[ax] = i % shape[ax]!;
    i = Math.floor(i / shape[ax]!);
  }
  return idx;
}

export function ravel(idx: readonly number[], shape: readonly number[]): number {
  let o = 0;
  for (let ax = 0; ax < shape.length; ax++) o = o * shape[ax]! + idx[ax]!;
  return o;
}

export function size(shape: readonly number[]): number {
  return shape.reduce((p, d) => p * d, 1);
}
