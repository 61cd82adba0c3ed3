import type { BodyBuilder } from '../kernel-ir/body.js';
import { add, call, div, eq, f32, isLitValue, mul, sub, u32 } from '../kernel-ir/build.js';
import { isVec, type KBuffer, type KExpr } from '../kernel-ir/types.js';
import type { AttentionWorkload } from '../workload/types.js';
import { storeOffset } from './common.js';

/** What the attention kernel exposes to the class-token statistics it can also store. */
export interface AttentionRowState {
  readonly lead: readonly KExpr[];
  /** This invocation's query row. */
  readonly row: KExpr;
  /** Final running max and sum of exp of the row's scores. */
  readonly m: KExpr;
  readonly l: KExpr;
  /** The row's (scaled, biased) score against key j. */
  score(b: BodyBuilder, j: KExpr): KExpr;
  /** Chunk c of value row j (f32 or vec4<f32>), and how many chunks a row has. */
  value(b: BodyBuilder, j: KExpr, c: number): KExpr;
  readonly chunks: number;
  readonly out: KBuffer;
}

/**
 * PPT's extra attention results: the invocation owning query row 0 (the class token) walks the
 * keys once more after its online softmax, storing exp(s_j − m)/l and ‖v_j‖₂. Its scores are
 * recomputed (d multiply-adds per key) rather than kept: one row in Tq pays it.
 */
export function storeClsStats(b: BodyBuilder, w: AttentionWorkload, st: AttentionRowState): void {
  const stats = w.clsStats;
  if (!stats) return;
  b.if(eq(st.row, u32(0)), (t) => {
    const inv = t.let('inv_l0', div(f32(1), st.l));
    t.for('jc', u32(0), u32(w.tk), 1, (j, bb) => {
      const at = [...st.lead, j];
      bb.store(st.out.name, storeOffset(stats.probs.view, at, bb), mul(call('exp', sub(st.score(bb, j), st.m)), inv));
      let sq: KExpr = f32(0);
      for (let c = 0; c < st.chunks; c++) {
        const v = st.value(bb, j, c);
        sq = add(sq, isVec(v.type) ? call('dot', v, v) : mul(v, v));
      }
      bb.store(st.out.name, storeOffset(stats.vnorm.view, at, bb), isLitValue(sq, 0) ? sq : call('sqrt', sq));
    });
  });
}
