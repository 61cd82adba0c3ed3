import type { AttrSchema, AttrsOf, ResolvedAttrs } from '../attrs.js';
import { broadcastShapes, type Dim, dimAdd, dimDiv, dimMul, dimSub, isStatic, parseSym } from '../dim.js';
import { isFloat, isInteger } from '../dtype.js';
import { fail } from '../errors.js';
import type { OpDef } from '../op.js';
import {
  Abs,
  Add,
  Cast,
  Ceil,
  Concat,
  Div,
  Equal,
  Expand,
  Floor,
  Gather,
  Greater,
  Identity,
  Less,
  Max,
  Min,
  Mod,
  Mul,
  Neg,
  Reshape,
  Slice,
  Split,
  Sub,
  Tile,
  Transpose,
  Where,
} from '../ops/index.js';
import { Tensor } from '../tensor.js';
import { broadcastOffsets } from '../../runtime/reference/kernels/broadcast.js';
import { asSym, type Known, knownSym, type SymTensor } from './known-values.js';

/**
 * Evaluation of shape computations on tensors whose elements may be symbolic dims (`N`, `4*N`).
 * Layout ops (reshape, gather, slice, concat...) move elements without looking at them, so they
 * run their own reference implementation on a tensor of element indices and the result is mapped
 * back. Arithmetic and comparisons apply ir/dim.ts arithmetic element by element; a result that
 * is not expressible (N/3 when 3 does not divide, N == 4) fails with a clear message.
 */

/** Which operands carry the moved elements; the others (indices, conditions) must be constant. */
const LAYOUT_DATA: ReadonlyMap<OpDef, 'all' | readonly number[]> = new Map<OpDef, 'all' | readonly number[]>([
  [Reshape, 'all'],
  [Transpose, 'all'],
  [Slice, 'all'],
  [Concat, 'all'],
  [Expand, 'all'],
  [Split, 'all'],
  [Tile, 'all'],
  [Identity, 'all'],
  [Gather, [0]],
  [Where, [1, 2]],
]);

type DimFn = (a: Dim, b: Dim, integer: boolean) => Dim;

const BINARY: ReadonlyMap<OpDef, { f: DimFn; bool?: boolean }> = new Map<OpDef, { f: DimFn; bool?: boolean }>([
  [Add, { f: dimAdd }],
  [Sub, { f: dimSub }],
  [Mul, { f: dimMul }],
  [Div, { f: symDiv }],
  [Mod, { f: symMod }],
  [Max, { f: (a, b) => symMinMax(a, b, 'max') }],
  [Min, { f: (a, b) => symMinMax(a, b, 'min') }],
  [Equal, { f: (a, b) => symCompare(a, b, 'eq'), bool: true }],
  [Less, { f: (a, b) => symCompare(a, b, 'lt'), bool: true }],
  [Greater, { f: (a, b) => symCompare(a, b, 'gt'), bool: true }],
]);

const UNARY: ReadonlyMap<OpDef, (a: Dim) => Dim> = new Map<OpDef, (a: Dim) => Dim>([
  [Neg, (a) => (isStatic(a) ? -a : fail(`cannot negate the symbolic size ${a}`))],
  // Symbolic sizes are positive integers.
  [Abs, (a) => (isStatic(a) ? Math.abs(a) : a)],
  [Floor, (a) => (isStatic(a) ? Math.floor(a) : a)],
  [Ceil, (a) => (isStatic(a) ? Math.ceil(a) : a)],
]);

/** True when `op` can be evaluated on constant and symbolic operands. */
export function canEvalSymbolic(op: OpDef): boolean {
  return LAYOUT_DATA.has(op) || BINARY.has(op) || UNARY.has(op) || op === Cast;
}

/**
 * Evaluates `op` on operands that are all constant or symbolic (at least one symbolic).
 * Attributes must be static (they come from constants at this point).
 */
export function evalSymbolic(op: OpDef, inputs: readonly Known[], attrs: AttrsOf<AttrSchema>): Known[] {
  const syms = inputs.map((k) => {
    const s = asSym(k);
    if (!s) fail(`'${op.name}' cannot be evaluated symbolically on a run-time value`);
    return s;
  });
  const layout = LAYOUT_DATA.get(op);
  if (layout) return evalLayout(op, syms, layout === 'all' ? syms.map((_, i) => i) : layout, attrs);
  const bin = BINARY.get(op);
  if (bin) return [evalBinary(op, syms[0]!, syms[1]!, bin.f, bin.bool ?? false)];
  const un = UNARY.get(op);
  if (un) return [knownSym(syms[0]!.dtype, syms[0]!.shape, syms[0]!.elems.map(un))];
  if (op === Cast) return [evalCast(syms[0]!, (attrs as AttrsOf<typeof Cast.attrs>).to)];
  return fail(`'${op.name}' cannot be evaluated on symbolic sizes`);
}

function evalLayout(op: OpDef, syms: readonly SymTensor[], dataOperands: readonly number[], attrs: AttrsOf<AttrSchema>): Known[] {
  const pool: Dim[] = [];
  const args = syms.map((s, i) => {
    if (!dataOperands.includes(i)) {
      if (!s.elems.every(isStatic)) fail(`operand ${i} of '${op.name}' must be static here, got [${s.elems.join(',')}]`);
      return Tensor.fromNumbers(s.dtype, s.shape, s.elems as number[]);
    }
    const base = pool.length;
    pool.push(...s.elems);
    return Tensor.fromNumbers('i64', s.shape, s.elems.map((_, j) => base + j));
  });
  const dtype = syms[dataOperands[0]!]!.dtype;
  for (const i of dataOperands)
    if (syms[i]!.dtype !== dtype) fail(`'${op.name}' operands have different element types ${dtype} and ${syms[i]!.dtype}`);
  const outs = op.reference(args, attrs as ResolvedAttrs<AttrSchema>);
  return outs.map((t) => knownSym(dtype, t.shape, t.toNumbers().map((ix) => pool[ix]!)));
}

function evalBinary(op: OpDef, a: SymTensor, b: SymTensor, f: DimFn, bool: boolean): Known {
  if (a.dtype !== b.dtype) fail(`'${op.name}' operands have different element types ${a.dtype} and ${b.dtype}`);
  const shape = broadcastShapes(a.shape, b.shape) as number[];
  const oa = broadcastOffsets(a.shape, shape);
  const ob = broadcastOffsets(b.shape, shape);
  const integer = isInteger(a.dtype);
  const elems: Dim[] = [];
  for (let i = 0; i < oa.length; i++) elems.push(f(a.elems[oa[i]!]!, b.elems[ob[i]!]!, integer));
  return knownSym(bool ? 'bool' : a.dtype, shape, elems);
}

function evalCast(s: SymTensor, to: AttrsOf<typeof Cast.attrs>['to']): Known {
  if (to === 'bool') return knownSym('bool', s.shape, s.elems.map((d) => (isStatic(d) ? (d ? 1 : 0) : 1)));
  if (!isInteger(to) && !isFloat(to)) fail(`cannot cast symbolic sizes to ${to}`);
  // Symbolic sizes are integers: any numeric type holds them; static elements convert as Cast does.
  const [t] = Cast.reference([Tensor.fromNumbers(s.dtype, s.shape, s.elems.map((d) => (isStatic(d) ? d : 0)))], { to });
  return knownSym(to, s.shape, s.elems.map((d, i) => (isStatic(d) ? t!.get(i) : d)));
}

/** ONNX Div: integer division truncates; a symbolic size divides only exactly. */
function symDiv(a: Dim, b: Dim, integer: boolean): Dim {
  if (isStatic(a) && isStatic(b)) return integer ? Math.trunc(a / b) : a / b;
  return dimDiv(a, b);
}

/** ONNX Mod (fmod=0, sign of the divisor): k*N mod c is 0 when c divides k. */
function symMod(a: Dim, b: Dim): Dim {
  if (isStatic(a) && isStatic(b)) {
    const r = a % b;
    return r !== 0 && r < 0 !== b < 0 ? r + b : r;
  }
  if (!isStatic(a) && isStatic(b) && b !== 0 && parseSym(a).k % b === 0) return 0;
  return fail(`cannot compute ${a} mod ${b} for every batch size`);
}

/** Symbols are ≥ 1, so k*N ≥ k decides some comparisons with constants. */
function lowerBound(d: Dim): number {
  return isStatic(d) ? d : parseSym(d).k;
}

function symCompare(a: Dim, b: Dim, how: 'eq' | 'lt' | 'gt'): Dim {
  if (isStatic(a) && isStatic(b)) return (how === 'eq' ? a === b : how === 'lt' ? a < b : a > b) ? 1 : 0;
  if (a === b) return how === 'eq' ? 1 : 0;
  const undecided = (): never => fail(`cannot decide ${a} ${how === 'eq' ? '==' : how === 'lt' ? '<' : '>'} ${b} for every batch size`);
  if (!isStatic(a) && !isStatic(b)) {
    const ta = parseSym(a);
    const tb = parseSym(b);
    if (ta.sym !== tb.sym) undecided();
    // Same symbol, different multiples: k1*N vs k2*N.
    return (how === 'eq' ? false : how === 'lt' ? ta.k < tb.k : ta.k > tb.k) ? 1 : 0;
  }
  // One side static: k*N ≥ k.
  const [s, c, flip] = isStatic(a) ? [b, a, true] : [a, b as number, false];
  const lo = lowerBound(s);
  if (c < lo) {
    // s > c for every batch size.
    if (how === 'eq') return 0;
    return (how === 'gt') !== flip ? 1 : 0;
  }
  return undecided();
}

function symMinMax(a: Dim, b: Dim, which: 'max' | 'min'): Dim {
  if (isStatic(a) && isStatic(b)) return which === 'max' ? Math.max(a, b) : Math.min(a, b);
  if (a === b) return a;
  if (isStatic(a) !== isStatic(b)) {
    const [s, c] = isStatic(a) ? [b, a] : [a, b as number];
    if (c <= lowerBound(s)) return which === 'max' ? s : c;
  }
  return fail(`cannot compute ${which}(${a}, ${b}) for every batch size`);
}
