import { bin, call, cast, lane, lit, neg, not, splat, vec } from './build.js';
import type { KExpr, KStmt, Kernel } from './types.js';

/**
 * Rebuilds an expression bottom-up through the folding constructors, applying `leaf` to each node
 * first (return undefined to keep it). Used for substitution and re-simplification.
 */
export function mapExpr(e: KExpr, leaf: (e: KExpr) => KExpr | undefined): KExpr {
  const r = leaf(e);
  if (r) return r;
  const m = (x: KExpr) => mapExpr(x, leaf);
  switch (e.k) {
    case 'lit':
    case 'ref':
    case 'builtin':
      return e;
    case 'bin':
      return bin(e.op, m(e.a), m(e.b));
    case 'neg':
      return neg(m(e.a));
    case 'not':
      return not(m(e.a));
    case 'call':
      return call(e.fn, ...e.args.map(m));
    case 'cast':
      return cast(e.type, m(e.a));
    case 'splat':
      return splat(e.type, m(e.a));
    case 'vec':
      return vec(e.type, e.parts.map(m));
    case 'lane':
      return lane(m(e.a), e.lane);
    case 'load':
      return { ...e, index: m(e.index) };
    case 'shared_load':
      return { ...e, index: m(e.index) };
  }
}

export function mapStmts(stmts: readonly KStmt[], f: (e: KExpr) => KExpr): KStmt[] {
  return stmts.map((s): KStmt => {
    switch (s.k) {
      case 'let':
        return { ...s, value: f(s.value) };
      case 'var':
        return s.init ? { ...s, init: f(s.init) } : s;
      case 'assign':
        return { ...s, value: f(s.value) };
      case 'store':
        return { ...s, index: f(s.index), value: f(s.value) };
      case 'shared_store':
        return { ...s, index: f(s.index), value: f(s.value) };
      case 'for':
        return { ...s, start: f(s.start), end: f(s.end), body: mapStmts(s.body, f) };
      case 'if':
        return s.else ? { ...s, cond: f(s.cond), then: mapStmts(s.then, f), else: mapStmts(s.else, f) } : { ...s, cond: f(s.cond), then: mapStmts(s.then, f) };
      case 'block':
        return { ...s, body: mapStmts(s.body, f) };
      case 'barrier':
      case 'comment':
        return s;
    }
  });
}

/** Replaces references to `name` by `value` (and re-folds). */
export function substitute(stmts: readonly KStmt[], name: string, value: KExpr): KStmt[] {
  return mapStmts(stmts, (e) => mapExpr(e, (x) => (x.k === 'ref' && x.name === name ? value : undefined)));
}

/**
 * Expands loops marked `unroll` (constant bounds) into one block per iteration with the index
 * substituted by a literal, then drops branches that folding decided. Inner loops first.
 */
export function unrollLoops(stmts: readonly KStmt[]): KStmt[] {
  const out: KStmt[] = [];
  for (const s of stmts) {
    if (s.k === 'for') {
      const body = unrollLoops(s.body);
      if (s.unroll && s.start.k === 'lit' && s.end.k === 'lit') {
        for (let i = s.start.value; i < s.end.value; i += s.step) {
          out.push({ k: 'block', body: pruneDecided(substitute(body, s.index, lit(s.start.type as 'u32', i))) });
        }
        continue;
      }
      out.push({ ...s, body });
    } else if (s.k === 'if') {
      out.push(s.else ? { ...s, then: unrollLoops(s.then), else: unrollLoops(s.else) } : { ...s, then: unrollLoops(s.then) });
    } else if (s.k === 'block') out.push({ ...s, body: unrollLoops(s.body) });
    else out.push(s);
  }
  return out;
}

/** Removes `if`s whose condition folded to a constant. */
function pruneDecided(stmts: readonly KStmt[]): KStmt[] {
  const out: KStmt[] = [];
  for (const s of stmts) {
    if (s.k === 'if' && s.cond.k === 'lit') {
      const branch = s.cond.value ? s.then : s.else;
      if (branch) out.push({ k: 'block', body: pruneDecided(branch) });
    } else if (s.k === 'block') out.push({ ...s, body: pruneDecided(s.body) });
    else if (s.k === 'for') out.push({ ...s, body: pruneDecided(s.body) });
    else if (s.k === 'if') out.push(s.else ? { ...s, then: pruneDecided(s.then), else: pruneDecided(s.else) } : { ...s, then: pruneDecided(s.then) });
    else out.push(s);
  }
  return out;
}

/** Applies the compile-time transformations every kernel gets before rendering. */
export function finalizeKernel(k: Kernel): Kernel {
  return { ...k, body: unrollLoops(k.body) };
}
