import { fail } from './errors.js';

/**
 * One dimension of a tensor type: a static size, or a multiple of one symbolic size (the batch).
 * Symbolic dims are canonical strings, `N` or `4*N`, so they compare with `===` and print as-is.
 * Products of two symbols are not representable: vitc supports one dynamic (batch-like) axis
 * whose multiples flow through reshapes (Swin's B*nW windows), nothing more general.
 */
export type Dim = number | string;

const SYM_RE = /^(?:(\d+)\*)?([A-Za-z_][A-Za-z0-9_]*)$/;

export interface SymTerm {
  readonly k: number;
  readonly sym: string;
}

export function isStatic(d: Dim): d is number {
  return typeof d === 'number';
}

export function allStatic(shape: readonly Dim[]): shape is readonly number[] {
  return shape.every(isStatic);
}

export function parseSym(d: string): SymTerm {
  const m = SYM_RE.exec(d);
  if (!m) fail(`malformed symbolic dimension '${d}'`);
  return { k: m[1] ? Number(m[1]) : 1, sym: m[2]! };
}

export function makeSym(k: number, sym: string): Dim {
  if (k === 0) return 0;
  if (!Number.isInteger(k) || k < 0) fail(`symbolic dimension ${k}*${sym} is not a non-negative integer multiple`);
  return k === 1 ? sym : `${k}*${sym}`;
}

export function isSymbolName(s: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(s);
}

export function dimToString(d: Dim): string {
  return String(d);
}

export function dimMul(a: Dim, b: Dim): Dim {
  if (isStatic(a) && isStatic(b)) return a * b;
  if (isStatic(a)) {
    const t = parseSym(b as string);
    return makeSym(t.k * a, t.sym);
  }
  if (isStatic(b)) return dimMul(b, a);
  return fail(`cannot multiply two symbolic dimensions ${a} and ${b}`);
}

/** Exact division; fails when the result is not an integer multiple. */
export function dimDiv(a: Dim, b: Dim): Dim {
  if (isStatic(a) && isStatic(b)) {
    if (b === 0 || a % b !== 0) fail(`dimension ${a} is not divisible by ${b}`);
    return a / b;
  }
  if (!isStatic(a) && isStatic(b)) {
    const t = parseSym(a);
    if (b === 0 || t.k % b !== 0) fail(`symbolic dimension ${a} is not divisible by ${b}`);
    return makeSym(t.k / b, t.sym);
  }
  if (!isStatic(a) && !isStatic(b)) {
    const ta = parseSym(a);
    const tb = parseSym(b);
    if (ta.sym !== tb.sym || ta.k % tb.k !== 0) fail(`symbolic dimension ${a} is not divisible by ${b}`);
    return ta.k / tb.k;
  }
  return fail(`cannot divide static dimension ${a} by symbolic ${b}`);
}

export function dimAdd(a: Dim, b: Dim): Dim {
  if (isStatic(a) && isStatic(b)) return a + b;
  if (a === 0) return b;
  if (b === 0) return a;
  if (!isStatic(a) && !isStatic(b)) {
    const ta = parseSym(a);
    const tb = parseSym(b);
    if (ta.sym === tb.sym) return makeSym(ta.k + tb.k, ta.sym);
  }
  return fail(`cannot add dimensions ${a} and ${b}`);
}

export function dimSub(a: Dim, b: Dim): Dim {
  if (isStatic(a) && isStatic(b)) return a - b;
  if (b === 0) return a;
  if (!isStatic(a) && !isStatic(b)) {
    const ta = parseSym(a);
    const tb = parseSym(b);
    if (ta.sym === tb.sym) return makeSym(ta.k - tb.k, ta.sym);
  }
  return fail(`cannot subtract dimension ${b} from ${a}`);
}

/** Product of dims (element count); symbolic if any dim is. */
export function dimProduct(dims: readonly Dim[]): Dim {
  let p: Dim = 1;
  for (const d of dims) p = dimMul(p, d);
  return p;
}

/** Static element count; fails for symbolic shapes. */
export function numel(shape: readonly Dim[]): number {
  const p = dimProduct(shape);
  if (!isStatic(p)) fail(`shape [${shape.join(',')}] has a symbolic size`);
  return p;
}

/** Substitutes symbol values (e.g. N=2) into a dim. */
export function resolveDim(d: Dim, env: ReadonlyMap<string, number>): number {
  if (isStatic(d)) return d;
  const t = parseSym(d);
  const v = env.get(t.sym);
  if (v === undefined) fail(`symbolic dimension '${t.sym}' has no value`);
  return t.k * v;
}

export function resolveShape(shape: readonly Dim[], env: ReadonlyMap<string, number>): number[] {
  return shape.map((d) => resolveDim(d, env));
}

/** Symbols mentioned by a shape. */
export function symbolsOf(shape: readonly Dim[]): string[] {
  const out: string[] = [];
  for (const d of shape) if (!isStatic(d)) out.push(parseSym(d).sym);
  return out;
}

/**
 * Binds the symbols of a declared shape from a concrete one: `[N,3,4]` against `[2,3,4]` gives N=2.
 * Fails on rank or static-dim mismatch or an inconsistent binding.
 */
export function bindShape(declared: readonly Dim[], actual: readonly number[], env: Map<string, number>, what: string): void {
  if (declared.length !== actual.length)
    fail(`${what}: expected rank ${declared.length} [${declared.join(',')}], got rank ${actual.length} [${actual.join(',')}]`);
  declared.forEach((d, i) => {
    const a = actual[i]!;
    if (isStatic(d)) {
      if (d !== a) fail(`${what}: dimension ${i} is ${a}, expected ${d}`);
      return;
    }
    const t = parseSym(d);
    if (a % t.k !== 0) fail(`${what}: dimension ${i} is ${a}, not a multiple of ${t.k} for ${d}`);
    const v = a / t.k;
    const prev = env.get(t.sym);
    if (prev !== undefined && prev !== v) fail(`${what}: symbol ${t.sym} is ${v} here but ${prev} elsewhere`);
    env.set(t.sym, v);
  });
}

export function shapesEqual(a: readonly Dim[], b: readonly Dim[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function shapeToString(shape: readonly Dim[]): string {
  return `[${shape.join(',')}]`;
}

/** Normalises a possibly negative axis against a rank. */
export function normAxis(axis: number, rank: number, what = 'axis'): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) fail(`${what} ${axis} is out of range for rank ${rank}`);
  return a;
}

/** NumPy-style broadcast of two shapes. A symbolic dim broadcasts only against itself or 1. */
export function broadcastShapes(a: readonly Dim[], b: readonly Dim[]): Dim[] {
  const n = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < n; i++) {
    const da = i < n - a.length ? 1 : a[i - (n - a.length)]!;
    const db = i < n - b.length ? 1 : b[i - (n - b.length)]!;
    if (da === db || db === 1) out.push(da);
    else if (da === 1) out.push(db);
    else fail(`shapes ${shapeToString(a)} and ${shapeToString(b)} do not broadcast (axis ${i}: ${da} vs ${db})`);
  }
  return out;
}
