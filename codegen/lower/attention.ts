import { BodyBuilder } from '../kernel-ir/body.js';
import { add, builtin, call, div, f32, lane, lt, min, mul, splat, sub, u32 } from '../kernel-ir/build.js';
import { type KExpr, type Kernel, vecType } from '../kernel-ir/types.js';
import { delinearize, viewAccess } from '../plan/view.js';
import type { AttentionSchedule } from '../schedule/types.js';
import type { AttentionWorkload } from '../workload/types.js';
import { ceilDiv, outputBuffer, product, storeOffset } from './common.js';
import { bindOperand, loadScalar, loadVec4 } from './operands.js';
import { storeClsStats } from './attention-cls.js';

const F4 = vecType('f32', 4);

/**
 * Fused attention: each invocation owns `rowsPerThread` query rows kept in registers; keys are
 * streamed in tiles of `kvTile` with an online softmax (running max and sum, rescaling the
 * accumulators once per tile), each key and value row loaded once for all owned rows, and rows
 * are normalised once at the end. Grid: (row blocks, leading index).
 */
export function lowerAttention(w: AttentionWorkload, s: AttentionSchedule, name: string): Kernel {
  const vq = w.d % 4 === 0 ? 4 : 1;
  const vv = w.dv % 4 === 0 ? 4 : 1;
  const rpt = Math.max(1, s.rowsPerThread ?? 1);
  const ops = w.operands.map((op, i) => bindOperand(`in${i}`, op, (i === w.q || i === w.k) ? vq === 4 : i === w.v ? vv === 4 : false));
  // Class-token statistics share the output buffer and are stored as scalars.
  const out = outputBuffer(w.output.view, vv === 4 && !w.clsStats, w.clsStats && [w.clsStats.probs.view, w.clsStats.vnorm.view]);
  const b = new BodyBuilder();
  const lead = w.batch.length === 0 ? [] : delinearize(builtin('workgroup_id', 1), w.batch).map((x, i) => b.let(`bi${i}`, x));
  // Invocation t of a workgroup owns rows base + t + r·rows (r < rowsPerThread): K and V rows are
  // loaded once per key and used for every owned query row.
  const base = b.let('row_base', mul(builtin('workgroup_id', 0), u32(s.rows * rpt)));
  const rows = Array.from({ length: rpt }, (_, r) => b.let(`row${r}`, add(add(base, builtin('local_id', 0)), u32(r * s.rows))));
  const rowsc = rows.map((row, r) => b.let(`rowc${r}`, min(row, u32(w.tq - 1))));
  const Q = ops[w.q]!;
  const K = ops[w.k]!;
  const V = ops[w.v]!;
  const load = (op: typeof Q, idx: KExpr[], width: number, bb: BodyBuilder) => (width === 4 ? loadVec4(op, idx, bb) : loadScalar(op, idx, bb));
  const q = rowsc.map((rowc, r) => Array.from({ length: w.d / vq }, (_, c) => b.let(`q${r}_${c}`, mul(load(Q, [...lead, rowc, u32(c * vq)], vq, b), f32(w.scale)))));
  const m = rows.map((_, r) => b.var(`m${r}`, 'f32', f32(-3.0e38)));
  const l = rows.map((_, r) => b.var(`l${r}`, 'f32', f32(0)));
  const acc = rows.map((_, r) => Array.from({ length: w.dv / vv }, (_, c) => b.var(`o${r}_${c}`, vv === 4 ? F4 : 'f32', vv === 4 ? splat(F4, f32(0)) : f32(0))));
  const tile = Math.max(1, Math.min(s.kvTile, w.tk));
  const processTile = (bb: BodyBuilder, j0: KExpr, count: number) => {
    // scores[u][r] for key j0+u and owned row r; each key row is loaded once.
    const scores = Array.from({ length: count }, (_, u) => {
      const j = add(j0, u32(u));
      const kc = Array.from({ length: w.d / vq }, (_, c) => bb.let('k', load(K, [...lead, j, u32(c * vq)], vq, bb)));
      return rowsc.map((rowc, r) => {
        let sc: KExpr = f32(0);
        kc.forEach((k, c) => (sc = vq === 4 ? add(sc, call('dot', q[r]![c]!, k)) : call('fma', q[r]![c]!, k, sc)));
        if (w.bias !== null) sc = add(sc, loadScalar(ops[w.bias]!, [...lead, rowc, j], bb));
        return bb.let('s', sc);
      });
    });
    rows.forEach((_, r) => {
      let tmax = scores[0]![r]!;
      for (const sc of scores.slice(1)) tmax = call('max', tmax, sc[r]!);
      const mNew = bb.let('m_new', call('max', m[r]!, tmax));
      const c = bb.let('corr', call('exp', sub(m[r]!, mNew)));
      bb.assign(l[r]!, mul(l[r]!, c));
      acc[r]!.forEach((a) => bb.assign(a, mul(a, c)));
      bb.assign(m[r]!, mNew);
    });
    scores.forEach((sc, u) => {
      const j = add(j0, u32(u));
      const p = rows.map((_, r) => {
        const pr = bb.let('p', call('exp', sub(sc[r]!, m[r]!)));
        bb.assign(l[r]!, add(l[r]!, pr));
        return pr;
      });
      for (let c = 0; c < w.dv / vv; c++) {
        const vc = bb.let('v', load(V, [...lead, j, u32(c * vv)], vv, bb));
        rows.forEach((_, r) => bb.assign(acc[r]![c]!, call('fma', vv === 4 ? splat(F4, p[r]!) : p[r]!, vc, acc[r]![c]!)));
      }
    });
  };
  const full = w.tk - (w.tk % tile);
  if (full > 0) b.for('j', u32(0), u32(full), tile, (j, bb) => processTile(bb, j, tile));
  if (full < w.tk) b.block((bb) => processTile(bb, u32(full), w.tk - full));
  // Row 0 (the class token) is always rows[0] of invocation 0 in workgroup 0.
  const score0 = (bb: BodyBuilder, j: KExpr): KExpr => {
    let sc: KExpr = f32(0);
    q[0]!.forEach((qc, c) => {
      const kc = load(K, [...lead, j, u32(c * vq)], vq, bb);
      sc = vq === 4 ? add(sc, call('dot', qc, kc)) : call('fma', qc, kc, sc);
    });
    if (w.bias !== null) sc = add(sc, loadScalar(ops[w.bias]!, [...lead, rowsc[0]!, j], bb));
    return bb.let('s', sc);
  };
  const value = (bb: BodyBuilder, j: KExpr, c: number) => load(V, [...lead, j, u32(c * vv)], vv, bb);
  storeClsStats(b, w, { lead, row: rows[0]!, m: m[0]!, l: l[0]!, score: score0, value, chunks: w.dv / vv, out });
  rows.forEach((row, r) =>
    b.if(lt(row, u32(w.tq)), (t) => {
      const inv = t.let('inv_l', div(f32(1), l[r]!));
      acc[r]!.forEach((a, c) => {
        const idx = [...lead, row, u32(c * vv)];
        const off = storeOffset(w.output.view, idx, t);
        const v = mul(a, inv);
        if (out.vec === 4) t.store(out.name, div(off, u32(4)), v);
        else if (vv === 4) {
          const vl = t.let('o', v);
          [0, 1, 2, 3].forEach((ln) => t.store(out.name, storeOffset(w.output.view, [...lead, row, u32(c * 4 + ln)], t), lane(vl, ln)));
        } else t.store(out.name, off, v);
      });
    }),
  );
  return { name, buffers: [...ops.map((o) => o.buffer), out], shared: [], workgroupSize: [s.rows, 1, 1], grid: [ceilDiv(w.tq, s.rows * rpt), product(w.batch), 1], body: b.stmts };
}
