import { add, load, mul, u32, vec } from './build.js';
import { mapExpr, mapStmts } from './rewrite.js';
import { type KBuffer, type KExpr, type Kernel, type KStmt, vecType } from './types.js';

/**
 * Folds buffers that will be bound to the same memory into one binding (WebGPU rejects a dispatch
 * binding overlapping ranges of a buffer when one of them is writable, and attention reads q, k
 * and v from one tensor). `same(i, j)` says whether buffers i and j are the same memory. When the
 * merged buffers were addressed at different widths, the binding becomes scalar and vec4 loads
 * become four scalar loads. Returns the kernel and, per new binding, the index of an old buffer.
 */
export function mergeBindings(k: Kernel, same: (i: number, j: number) => boolean): { kernel: Kernel; origin: number[] } {
  const rep = k.buffers.map((_, i) => {
    for (let j = 0; j < i; j++) if (same(i, j)) return j;
    return i;
  });
  const members = new Map<number, number[]>();
  rep.forEach((r, i) => members.set(r, [...(members.get(r) ?? []), i]));
  const buffers: KBuffer[] = [];
  const origin: number[] = [];
  const rename = new Map<string, { target: KBuffer; scalarize: boolean }>();
  for (const [r, ms] of members) {
    const group = ms.map((i) => k.buffers[i]!);
    const mixed = group.some((b) => b.vec !== group[0]!.vec);
    const writable = group.some((b) => b.access === 'read_write');
    const elems = Math.max(...group.map((b) => b.length * b.vec));
    const target: KBuffer = { ...group[0]!, access: writable ? 'read_write' : 'read', vec: mixed ? 1 : group[0]!.vec, length: mixed ? elems : group[0]!.length };
    buffers.push(target);
    origin.push(r);
    for (const b of group) rename.set(b.name, { target, scalarize: mixed && b.vec === 4 });
  }
  if (buffers.length === k.buffers.length) return { kernel: k, origin };
  const fix = (e: KExpr): KExpr =>
    mapExpr(e, (x) => {
      if (x.k !== 'load') return undefined;
      const r = rename.get(x.buffer)!;
      const index = fix(x.index);
      if (!r.scalarize) return load(r.target, index);
      const base = mul(index, u32(4));
      return vec(vecType(r.target.elem, 4), [0, 1, 2, 3].map((l) => load(r.target, add(base, u32(l)))));
    });
  return { kernel: { ...k, buffers, body: renameStores(mapStmts(k.body, fix), rename) }, origin };
}

function renameStores(stmts: readonly KStmt[], rename: Map<string, { target: KBuffer }>): KStmt[] {
  return stmts.map((s) => {
    switch (s.k) {
      case 'store':
        return { ...s, buffer: rename.get(s.buffer)!.target.name };
      case 'for':
      case 'block':
        return { ...s, body: renameStores(s.body, rename) };
      case 'if':
        return s.else ? { ...s, then: renameStores(s.then, rename), else: renameStores(s.else, rename) } : { ...s, then: renameStores(s.then, rename) };
      default:
        return s;
    }
  });
}
