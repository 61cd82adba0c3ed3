import type { BinaryOp, BuiltinIndex, Intrinsic, KBuffer, KExpr, KShared, KType, Scalar, VecType } from './types.js';
import { elemOf, isVec, typeEquals, typeName } from './types.js';

/**
 * Typed constructors for kernel-IR expressions. They check operand types, splat scalars against
 * vectors, and fold constants and identities on the fly so lowered index arithmetic stays small.
 */
export function lit(type: Scalar, value: number): KExpr {
  if (type === 'u32') value = value >>> 0;
  else if (type === 'i32') value = value | 0;
  else if (type === 'f32') value = Math.fround(value);
  else if (type === 'bool') value = value ? 1 : 0;
  return { k: 'lit', type, value };
}
export const u32 = (v: number): KExpr => lit('u32', v);
export const i32 = (v: number): KExpr => lit('i32', v);
export const f32 = (v: number): KExpr => lit('f32', v);
export const bool = (v: boolean): KExpr => lit('bool', v ? 1 : 0);

export function ref(name: string, type: KType, align?: number): KExpr {
  return align !== undefined && align > 1 ? { k: 'ref', name, type, align } : { k: 'ref', name, type };
}

export function builtin(which: BuiltinIndex, axis: 0 | 1 | 2 = 0): KExpr {
  return { k: 'builtin', type: 'u32', which, axis };
}

export function isLit(e: KExpr): e is Extract<KExpr, { k: 'lit' }> {
  return e.k === 'lit';
}

/** True when `e` is the literal `v` (not a type guard: failing it says nothing about e's kind). */
export function isLitValue(e: KExpr, v: number): boolean {
  return e.k === 'lit' && e.value === v;
}

function typeError(msg: string): never {
  throw new Error(`kernel IR: ${msg}`);
}

const COMPARE = new Set<BinaryOp>(['<', '<=', '>', '>=', '==', '!=']);
const LOGIC = new Set<BinaryOp>(['&&', '||']);

function foldScalar(op: BinaryOp, type: Scalar, x: number, y: number): number | undefined {
  const int = type === 'u32' || type === 'i32';
  switch (op) {
    case '+':
      return x + y;
    case '-':
      return x - y;
    case '*':
      return int ? Math.imul(x, y) : x * y;
    case '/':
      return int ? (y === 0 ? undefined : Math.trunc(x / y)) : x / y;
    case '%':
      return int ? (y === 0 ? undefined : x % y) : undefined;
    case '<':
      return +(x < y);
    case '<=':
      return +(x <= y);
    case '>':
      return +(x > y);
    case '>=':
      return +(x >= y);
    case '==':
      return +(x === y);
    case '!=':
      return +(x !== y);
    case '&&':
      return +(x !== 0 && y !== 0);
    case '||':
      return +(x !== 0 || y !== 0);
    case '&':
      return x & y;
    case '|':
      return x | y;
    case '^':
      return x ^ y;
    case '<<':
      return x << y;
    case '>>':
      return type === 'u32' ? x >>> y : x >> y;
  }
}

export function bin(op: BinaryOp, a: KExpr, b: KExpr): KExpr {
  // Scalars combine with vectors by splatting.
  if (isVec(a.type) && !isVec(b.type)) b = splat(a.type, b);
  if (isVec(b.type) && !isVec(a.type)) a = splat(b.type, a);
  if (!typeEquals(a.type, b.type)) typeError(`operands of '${op}' have types ${typeName(a.type)} and ${typeName(b.type)}`);
  const type: KType = COMPARE.has(op) || LOGIC.has(op) ? 'bool' : a.type;
  if ((COMPARE.has(op) || LOGIC.has(op)) && isVec(a.type)) typeError(`'${op}' on vectors`);
  if (isLit(a) && isLit(b)) {
    const v = foldScalar(op, a.type as Scalar, a.value, b.value);
    if (v !== undefined) return lit(type as Scalar, v);
  }
  const int = elemOf(a.type) === 'u32' || elemOf(a.type) === 'i32';
  // Unsigned comparisons against zero are decided statically (padding masks with lower bound 0).
  if (a.type === 'u32' && isLitValue(b, 0) && (op === '>=' || op === '<')) return bool(op === '>=');
  switch (op) {
    case '+':
      if (isLitValue(b, 0)) return a;
      if (isLitValue(a, 0)) return b;
      // (x + c1) + c2 → x + (c1 + c2) on integers keeps offsets folded.
      if (int && isLit(b) && a.k === 'bin' && a.op === '+' && isLit(a.b)) return bin('+', a.a, lit(a.type as Scalar, a.b.value + b.value));
      if (int && isLit(a)) return bin('+', b, a);
      break;
    case '-':
      if (isLitValue(b, 0)) return a;
      break;
    case '*':
      if (isLitValue(b, 1)) return a;
      if (isLitValue(a, 1)) return b;
      if (int && (isLitValue(a, 0) || isLitValue(b, 0))) return lit(a.type as Scalar, 0);
      if (int && isLit(a)) return bin('*', b, a);
      // (x * c1) * c2 → x * (c1 * c2)
      if (int && isLit(b) && a.k === 'bin' && a.op === '*' && isLit(a.b)) return bin('*', a.a, lit(a.type as Scalar, a.b.value * b.value));
      break;
    case '/':
      if (isLitValue(b, 1)) return a;
      // Exact integer division distributes: (x·8 + y·4)/4 → x·2 + y (vec4 addressing).
      if (int && isLit(b) && b.value > 0 && isMultipleOf(a, b.value)) return divideExact(a, b.value);
      break;
    case '%':
      if (int && isLitValue(b, 1)) return lit(a.type as Scalar, 0);
      break;
    case '&&':
      if (isLitValue(a, 1)) return b;
      if (isLitValue(b, 1)) return a;
      if (isLitValue(a, 0) || isLitValue(b, 0)) return bool(false);
      break;
    case '||':
      if (isLitValue(a, 0)) return b;
      if (isLitValue(b, 0)) return a;
      break;
  }
  return { k: 'bin', type, op, a, b };
}

export const add = (a: KExpr, b: KExpr) => bin('+', a, b);
export const sub = (a: KExpr, b: KExpr) => bin('-', a, b);
export const mul = (a: KExpr, b: KExpr) => bin('*', a, b);
export const div = (a: KExpr, b: KExpr) => bin('/', a, b);
export const mod = (a: KExpr, b: KExpr) => bin('%', a, b);
export const lt = (a: KExpr, b: KExpr) => bin('<', a, b);
export const le = (a: KExpr, b: KExpr) => bin('<=', a, b);
export const gt = (a: KExpr, b: KExpr) => bin('>', a, b);
export const ge = (a: KExpr, b: KExpr) => bin('>=', a, b);
export const eq = (a: KExpr, b: KExpr) => bin('==', a, b);
export const and = (a: KExpr, b: KExpr) => bin('&&', a, b);
export const or = (a: KExpr, b: KExpr) => bin('||', a, b);

export function neg(a: KExpr): KExpr {
  if (isLit(a)) return lit(a.type as Scalar, -a.value);
  return { k: 'neg', type: a.type, a };
}

export function not(a: KExpr): KExpr {
  if (a.type !== 'bool') typeError(`'!' on ${typeName(a.type)}`);
  if (isLit(a)) return bool(a.value === 0);
  return { k: 'not', type: 'bool', a };
}

/** Intrinsic call; `select(cond, ifTrue, ifFalse)` takes the condition first. */
export function call(fn: Intrinsic, ...args: KExpr[]): KExpr {
  if (fn === 'select') {
    const [c, t, f] = args as [KExpr, KExpr, KExpr];
    if (c.type !== 'bool') typeError(`select condition is ${typeName(c.type)}`);
    if (isLit(c)) return c.value ? t : f;
    const [t2, f2] = unify(t, f);
    return { k: 'call', type: t2.type, fn, args: [c, t2, f2] };
  }
  if (fn === 'dot') return { k: 'call', type: elemOf(args[0]!.type), fn, args };
  // Other intrinsics are elementwise over one common type.
  let common = args[0]!.type;
  for (const x of args) if (isVec(x.type)) common = x.type;
  const unified = args.map((x) => (isVec(common) && !isVec(x.type) ? splat(common, x) : x));
  for (const x of unified) if (!typeEquals(x.type, common)) typeError(`arguments of ${fn} have mixed types`);
  return { k: 'call', type: common, fn, args: unified };
}

function unify(a: KExpr, b: KExpr): [KExpr, KExpr] {
  if (isVec(a.type) && !isVec(b.type)) return [a, splat(a.type, b)];
  if (isVec(b.type) && !isVec(a.type)) return [splat(b.type, a), b];
  if (!typeEquals(a.type, b.type)) typeError(`select branches have types ${typeName(a.type)} and ${typeName(b.type)}`);
  return [a, b];
}

export function cast(to: KType, a: KExpr): KExpr {
  if (typeEquals(a.type, to)) return a;
  if (isLit(a) && !isVec(to)) return lit(to, to === 'u32' || to === 'i32' ? Math.trunc(a.value) : a.value);
  return { k: 'cast', type: to, a };
}

export function splat(type: VecType, a: KExpr): KExpr {
  if (a.type !== type.elem) typeError(`cannot splat ${typeName(a.type)} to ${typeName(type)}`);
  return { k: 'splat', type, a };
}

export function vec(type: VecType, parts: readonly KExpr[]): KExpr {
  if (parts.length !== type.width || parts.some((p) => p.type !== type.elem)) typeError(`bad parts for ${typeName(type)}`);
  return { k: 'vec', type, parts };
}

export function lane(a: KExpr, index: number): KExpr {
  if (!isVec(a.type)) return a;
  if (a.k === 'vec') return a.parts[index]!;
  if (a.k === 'splat') return a.a;
  return { k: 'lane', type: a.type.elem, a, lane: index };
}

export function load(buffer: KBuffer, index: KExpr): KExpr {
  const type: KType = buffer.vec === 4 ? { kind: 'vec', elem: buffer.elem, width: 4 } : buffer.elem;
  return { k: 'load', type, buffer: buffer.name, index };
}

export function sharedLoad(mem: KShared, index: KExpr): KExpr {
  const type: KType = mem.vec === 4 ? { kind: 'vec', elem: mem.elem, width: 4 } : mem.elem;
  return { k: 'shared_load', type, mem: mem.name, index };
}

/** Sum of terms with folding (empty sum = 0 of `type`). */
export function sum(type: Scalar, terms: readonly KExpr[]): KExpr {
  return terms.reduce((acc, t) => add(acc, t), lit(type, 0));
}

export function min(a: KExpr, b: KExpr): KExpr {
  if (isLit(a) && isLit(b)) return lit(a.type as Scalar, Math.min(a.value, b.value));
  return call('min', a, b);
}

export function max(a: KExpr, b: KExpr): KExpr {
  if (isLit(a) && isLit(b)) return lit(a.type as Scalar, Math.max(a.value, b.value));
  return call('max', a, b);
}

/** Whether an unsigned integer expression is statically known to be a multiple of `m`. */
export function isMultipleOf(e: KExpr, m: number): boolean {
  if (m === 1) return true;
  if (e.k === 'lit') return e.value % m === 0;
  if (e.k === 'ref') return (e.align ?? 1) % m === 0;
  if (e.k === 'call' && (e.fn === 'min' || e.fn === 'max')) return e.args.every((x) => isMultipleOf(x, m));
  if (e.k !== 'bin') return false;
  if (e.op === '+' || e.op === '-') return isMultipleOf(e.a, m) && isMultipleOf(e.b, m);
  if (e.op === '*') return (isLit(e.b) && e.b.value % m === 0) || (isLit(e.a) && e.a.value % m === 0) || isMultipleOf(e.a, m) || isMultipleOf(e.b, m);
  return false;
}

/** e / m for an expression known to be a multiple of m (see isMultipleOf). */
function divideExact(e: KExpr, m: number): KExpr {
  if (e.k === 'lit') return lit(e.type as Scalar, e.value / m);
  // A named multiple: divide at run time (loop-invariant, hoisted by the backend compiler).
  if (e.k === 'ref') return { k: 'bin', type: e.type, op: '/', a: e, b: lit(e.type as Scalar, m) };
  if (e.k === 'call' && (e.fn === 'min' || e.fn === 'max')) return call(e.fn, ...e.args.map((x) => divideExact(x, m)));
  if (e.k === 'bin' && (e.op === '+' || e.op === '-')) return bin(e.op, divideExact(e.a, m), divideExact(e.b, m));
  if (e.k === 'bin' && e.op === '*') {
    if (isLit(e.b) && e.b.value % m === 0) return mul(e.a, lit(e.type as Scalar, e.b.value / m));
    if (isLit(e.a) && e.a.value % m === 0) return mul(e.b, lit(e.type as Scalar, e.a.value / m));
    if (isMultipleOf(e.a, m)) return mul(divideExact(e.a, m), e.b);
    return mul(e.a, divideExact(e.b, m));
  }
  throw new Error('kernel IR: divideExact on a non-multiple');
}
