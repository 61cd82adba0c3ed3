import { isMultipleOf, ref } from './build.js';
import type { KExpr, KStmt, KType } from './types.js';

/**
 * Collects statements while lowering. Generates unique names per kernel so that templates can
 * declare temporaries freely, and nests scopes for loops and conditionals.
 */
export class BodyBuilder {
  readonly stmts: KStmt[] = [];
  readonly #names: Map<string, number>;

  constructor(names: Map<string, number> = new Map()) {
    this.#names = names;
  }

  /**
   * A name not used before in this kernel: `base`, then `base_1`, ... skipping names already
   * issued (a second `a4` must not become the `a4_1` a caller asked for by name).
   */
  fresh(base: string): string {
    let n = this.#names.get(base) ?? 0;
    let name = n === 0 ? base : `${base}_${n}`;
    while (n > 0 && this.#names.has(name)) name = `${base}_${++n}`;
    this.#names.set(base, n + 1);
    if (name !== base && !this.#names.has(name)) this.#names.set(name, 1);
    return name;
  }

  let(base: string, value: KExpr): KExpr {
    if (value.k === 'lit' || value.k === 'ref' || value.k === 'builtin') return value;
    const name = this.fresh(base);
    this.stmts.push({ k: 'let', name, value });
    const int = value.type === 'u32' || value.type === 'i32';
    const align = int ? [16, 8, 4, 2].find((m) => isMultipleOf(value, m)) : undefined;
    return ref(name, value.type, align);
  }

  var(base: string, type: KType, init?: KExpr): KExpr {
    const name = this.fresh(base);
    this.stmts.push(init ? { k: 'var', name, type, init } : { k: 'var', name, type });
    return ref(name, type);
  }

  assign(target: KExpr, value: KExpr): void {
    if (target.k !== 'ref') throw new Error('kernel IR: assignment target must be a variable');
    this.stmts.push({ k: 'assign', name: target.name, value });
  }

  store(buffer: string, index: KExpr, value: KExpr): void {
    this.stmts.push({ k: 'store', buffer, index, value });
  }

  sharedStore(mem: string, index: KExpr, value: KExpr): void {
    this.stmts.push({ k: 'shared_store', mem, index, value });
  }

  barrier(storage = false): void {
    this.stmts.push(storage ? { k: 'barrier', storage } : { k: 'barrier' });
  }

  comment(text: string): void {
    this.stmts.push({ k: 'comment', text });
  }

  /** `for (i = start; i < end; i += step)`, body built by `f` with the index expression. */
  for(base: string, start: KExpr, end: KExpr, step: number, f: (i: KExpr, body: BodyBuilder) => void, unroll = false): void {
    const index = this.fresh(base);
    const body = new BodyBuilder(this.#names);
    f(ref(index, start.type), body);
    this.stmts.push({ k: 'for', index, start, end, step, unroll, body: body.stmts });
  }

  /** A loop the schedule has unrolled as it wants (its body holds the unrolled steps): backends keep it rolled. */
  rolledFor(base: string, start: KExpr, end: KExpr, step: number, f: (i: KExpr, body: BodyBuilder) => void): void {
    this.for(base, start, end, step, f);
    const loop = this.stmts.pop()!;
    this.stmts.push({ ...loop, rolled: true } as KStmt);
  }

  if(cond: KExpr, then: (b: BodyBuilder) => void, otherwise?: (b: BodyBuilder) => void): void {
    if (cond.k === 'lit') {
      const branch = cond.value ? then : otherwise;
      if (branch) this.block(branch);
      return;
    }
    const t = new BodyBuilder(this.#names);
    then(t);
    if (otherwise) {
      const e = new BodyBuilder(this.#names);
      otherwise(e);
      this.stmts.push({ k: 'if', cond, then: t.stmts, else: e.stmts });
    } else this.stmts.push({ k: 'if', cond, then: t.stmts });
  }

  block(f: (b: BodyBuilder) => void): void {
    const b = new BodyBuilder(this.#names);
    f(b);
    this.stmts.push({ k: 'block', body: b.stmts });
  }
}
