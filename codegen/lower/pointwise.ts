import { add, bin, call, div, f32, lane, mul, neg, not, splat, sub, vec } from '../kernel-ir/build.js';
import { isVec, type KExpr, vecType } from '../kernel-ir/types.js';
import type { BinaryFn, EExpr, UnaryFn } from '../workload/expr.js';

/** How leaves of a pointwise expression are read at the current element (or 4 elements). */
export interface PointwiseLeaves {
  acc(): KExpr;
  input(index: number): KExpr;
}

const SQRT1_2 = Math.SQRT1_2;
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

function hasLogic(e: EExpr): boolean {
  switch (e.op) {
    case 'acc':
    case 'input':
    case 'const':
      return false;
    case 'unary':
      return e.fn === 'not' || hasLogic(e.a);
    case 'clip':
      return hasLogic(e.a);
    case 'binary':
      return ['equal', 'less', 'greater', 'and', 'or'].includes(e.fn) || hasLogic(e.a) || hasLogic(e.b);
    case 'where':
      return true;
  }
}

/**
 * Kernel-IR value of a pointwise expression: f32, or vec4<f32> when the leaves are vectors.
 * Comparisons and selects have no vector form in the kernel IR, so expressions using them are
 * evaluated lane by lane and reassembled.
 */
export function lowerPointwise(e: EExpr, leaves: PointwiseLeaves, width: 1 | 4): KExpr {
  if (width === 4 && hasLogic(e)) {
    const accV = needs(e, 'acc') ? leaves.acc() : undefined;
    const inputs = new Map<number, KExpr>();
    const laneLeaves = (l: number): PointwiseLeaves => ({
      acc: () => lane(accV!, l),
      input: (i) => {
        if (!inputs.has(i)) inputs.set(i, leaves.input(i));
        return lane(inputs.get(i)!, l);
      },
    });
    return vec(vecType('f32', 4), [0, 1, 2, 3].map((l) => asFloat(compile(e, laneLeaves(l)))));
  }
  return asFloat(compile(e, leaves));
}

function needs(e: EExpr, op: 'acc'): boolean {
  switch (e.op) {
    case 'acc':
      return op === 'acc';
    case 'input':
    case 'const':
      return false;
    case 'unary':
    case 'clip':
      return needs(e.a, op);
    case 'binary':
      return needs(e.a, op) || needs(e.b, op);
    case 'where':
      return needs(e.cond, op) || needs(e.a, op) || needs(e.b, op);
  }
}

function asFloat(x: KExpr): KExpr {
  return x.type === 'bool' ? call('select', x, f32(1), f32(0)) : x;
}

function asBool(x: KExpr): KExpr {
  return x.type === 'bool' ? x : bin('!=', x, f32(0));
}

function compile(e: EExpr, leaves: PointwiseLeaves): KExpr {
  switch (e.op) {
    case 'acc':
      return leaves.acc();
    case 'input':
      return leaves.input(e.index);
    case 'const':
      return f32(e.value);
    case 'unary':
      return unary(e.fn, compile(e.a, leaves));
    case 'clip': {
      let x = asFloat(compile(e.a, leaves));
      if (e.lo !== null) x = call('max', x, f32(e.lo));
      if (e.hi !== null) x = call('min', x, f32(e.hi));
      return x;
    }
    case 'binary':
      return binary(e.fn, compile(e.a, leaves), compile(e.b, leaves));
    case 'where':
      return call('select', asBool(compile(e.cond, leaves)), asFloat(compile(e.a, leaves)), asFloat(compile(e.b, leaves)));
  }
}

function one(x: KExpr): KExpr {
  return isVec(x.type) ? splat(x.type, f32(1)) : f32(1);
}

function unary(fn: UnaryFn, a: KExpr): KExpr {
  if (fn === 'not') return not(asBool(a));
  const x = asFloat(a);
  switch (fn) {
    case 'neg':
      return neg(x);
    case 'abs':
      return call('abs', x);
    case 'exp':
      return call('exp', x);
    case 'log':
      return call('log', x);
    case 'sqrt':
      return call('sqrt', x);
    case 'reciprocal':
      return div(one(x), x);
    case 'erf':
      return call('erf', x);
    case 'tanh':
      // Large |x| makes some tanh implementations return NaN; tanh(±10) is already ±1 in f32.
      return call('tanh', call('clamp', x, f32(-10), f32(10)));
    case 'sigmoid':
      return div(one(x), add(one(x), call('exp', neg(x))));
    case 'relu':
      return call('max', x, f32(0));
    case 'gelu':
      return mul(mul(f32(0.5), x), add(one(x), call('erf', mul(x, f32(SQRT1_2)))));
    case 'gelu_tanh': {
      const inner = mul(f32(SQRT_2_OVER_PI), add(x, mul(f32(0.044715), mul(x, mul(x, x)))));
      return mul(mul(f32(0.5), x), add(one(x), unary('tanh', inner)));
    }
    case 'silu':
      return div(x, add(one(x), call('exp', neg(x))));
    case 'hard_sigmoid':
      return call('clamp', add(mul(x, f32(1 / 6)), f32(0.5)), f32(0), f32(1));
    case 'hard_swish':
      return mul(x, call('clamp', add(mul(x, f32(1 / 6)), f32(0.5)), f32(0), f32(1)));
    case 'floor':
      return call('floor', x);
    case 'ceil':
      return call('ceil', x);
  }
}

function binary(fn: BinaryFn, a: KExpr, b: KExpr): KExpr {
  switch (fn) {
    case 'and':
      return bin('&&', asBool(a), asBool(b));
    case 'or':
      return bin('||', asBool(a), asBool(b));
    case 'equal':
      return bin('==', asFloat(a), asFloat(b));
    case 'less':
      return bin('<', asFloat(a), asFloat(b));
    case 'greater':
      return bin('>', asFloat(a), asFloat(b));
  }
  const x = asFloat(a);
  const y = asFloat(b);
  switch (fn) {
    case 'add':
      return add(x, y);
    case 'sub':
      return sub(x, y);
    case 'mul':
      return mul(x, y);
    case 'div':
      return div(x, y);
    case 'max':
      return call('max', x, y);
    case 'min':
      return call('min', x, y);
    case 'pow':
      return power(x, y);
  }
}

/** x^y; small integer exponents become products (pow() is undefined for negative bases). */
function power(x: KExpr, y: KExpr): KExpr {
  const c = y.k === 'splat' ? y.a : y;
  if (c.k === 'lit' && Number.isInteger(c.value) && Math.abs(c.value) <= 4) {
    if (c.value === 0) return one(x);
    let p = x;
    for (let i = 1; i < Math.abs(c.value); i++) p = mul(p, x);
    return c.value < 0 ? div(one(x), p) : p;
  }
  if (c.k === 'lit' && c.value === 0.5) return call('sqrt', x);
  return call('pow', x, y);
}

