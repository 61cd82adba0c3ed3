import { BodyBuilder } from '../kernel-ir/body.js';
import { add, and, builtin, call, cast, eq, gt, lt, mul, or, sharedLoad, u32 } from '../kernel-ir/build.js';
import type { KExpr, Kernel, KShared } from '../kernel-ir/types.js';
import { delinearize } from '../plan/view.js';
import type { TopKSchedule } from '../schedule/types.js';
import type { TopKWorkload } from '../workload/types.js';
import { grid1d, outputBuffer, product, storeOffset } from './common.js';
import { bindOperand, loadScalar } from './operands.js';

/**
 * Rank sort, one workgroup per row: every invocation takes every wg-th entry of the row, counts
 * the entries that come before it (larger, or equal at a lower position; smaller for
 * `largest = false`) and, when that rank is below k, stores the entry and its position at that
 * rank. n² comparisons per row with a single barrier, which suits rows of up to a thousand
 * tokens on GPUs and on CPU adapters alike (a bitonic network needs log² n barriers). With
 * `staged` the row is first copied to workgroup memory (4 bytes per entry).
 */
export function lowerTopK(w: TopKWorkload, s: TopKSchedule, name: string): Kernel {
  const rows = product(w.rows);
  const grid = grid1d(rows);
  const x = bindOperand('in0', w.operands[0]!, false);
  const out = outputBuffer(w.output.view, false, [w.indices.view]);
  const staged = s.staged;
  const row: KShared = { name: 'row', elem: 'f32', vec: 1, length: w.n };
  const b = new BodyBuilder();
  const r = b.let('r', add(builtin('workgroup_id', 0), mul(builtin('workgroup_id', 1), u32(grid[0]))));
  const lid = builtin('local_id', 0);
  const live = lt(r, u32(rows));
  const rc = b.let('rc', call('min', r, u32(rows - 1)));
  const lead = w.rows.length === 0 ? [] : delinearize(rc, w.rows).map((e, i) => b.let(`ri${i}`, e));
  const entry = (i: KExpr, bb: BodyBuilder): KExpr => (staged ? sharedLoad(row, i) : loadScalar(x, [...lead, i], bb));
  if (staged) {
    b.for('i', lid, u32(w.n), s.wg, (i, bb) => bb.sharedStore(row.name, i, loadScalar(x, [...lead, i], bb)));
    b.barrier();
  }
  b.for('i', lid, u32(w.n), s.wg, (i, bb) => {
    const xi = bb.let('xi', entry(i, bb));
    const rank = bb.var('rank', 'u32', u32(0));
    bb.for('j', u32(0), u32(w.n), 1, (j, inner) => {
      const xj = inner.let('xj', entry(j, inner));
      const ahead = w.largest ? gt(xj, xi) : lt(xj, xi);
      inner.assign(rank, add(rank, call('select', or(ahead, and(eq(xj, xi), lt(j, i))), u32(1), u32(0))));
    });
    bb.if(and(live, lt(rank, u32(w.k))), (t) => {
      const at = [...lead, rank];
      t.store(out.name, storeOffset(w.output.view, at, t), xi);
      t.store(out.name, storeOffset(w.indices.view, at, t), cast('f32', i));
    });
  });
  return { name, buffers: [x.buffer, out], shared: staged ? [row] : [], workgroupSize: [s.wg, 1, 1], grid, body: b.stmts };
}
