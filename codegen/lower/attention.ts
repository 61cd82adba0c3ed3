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
 * Fused attention, one query row per invocation: q stays in registers, keys are streamed in
 * tiles of `kvTile` with an online softmax (running max and sum, rescaling the accumulator only
 * once per tile), and the row is normalised once at the end. Grid: (row blocks, heads, batch).
 */
export function lowerAttention(w: AttentionWorkload, s: AttentionSchedule, name: string): Kernel {
  const vq = w.d % 4 === 0 ? 4 : 1;
  const vv = w.dv % 4 === 0 ? 4 : 1;
  const ops = w.operands.map((op, i) => bindOperand(`in${i}`, op, (i === w.q || i === w.k) ? vq === 4 : i === w.v ? vv === 4 : false));
  // Class-token statistics share the output buffer and are stored as scalars.
  const out = outputBuffer(w.output.view, vv === 4 && !w.clsStats, w.clsStats && [w.clsStats.probs.view, w.clsStats.vnorm.view]);
  const b = new BodyBuilder();
  const lead = w.batch.length === 0 ? [] : delinearize(builtin('workgroup_id', 1), w.batch).map((x, i) => b.let(`bi${i}`, x));
  const row = b.let('row', add(mul(builtin('workgroup_id', 0), u32(s.rows)), builtin('local_id', 0)));
  const rowc = b.let('rowc', min(row, u32(w.tq - 1)));
  const Q = ops[w.q]!;
  const K = ops[w.k]!;
  const V = ops[w.v]!;
  const load = (op: typeof Q, idx: KExpr[], width: number, bb: BodyBuilder) => (width === 4 ? loadVec4(op, idx, bb) : loadScalar(op, idx, bb));
  const q = Array.from({ length: w.d / vq }, (_, c) => b.let(`q${c}`, mul(load(Q, [...lead, rowc, u32(c * vq)], vq, b), f32(w.scale))));
  const m = b.var('m', 'f32', f32(-3.0e38));
  const l = b.var('l', 'f32', f32(0));
  const acc = Array.from({ length: w.dv / vv }, (_, c) => b.var(`o${c}`, vv === 4 ? F4 : 'f32', vv === 4 ? splat(F4, f32(0)) : f32(0)));
  const tile = Math.max(1, Math.min(s.kvTile, w.tk));
  const score = (bb: BodyBuilder, j: KExpr): KExpr => {
    let sc: KExpr = f32(0);
    q.forEach((qc, c) => {
      const kc = load(K, [...lead, j, u32(c * vq)], vq, bb);
      sc = vq === 4 ? add(sc, call('dot', qc, kc)) : call('fma', qc, kc, sc);
    });
    if (w.bias !== null) sc = add(sc, loadScalar(ops[w.bias]!, [...lead, rowc, j], bb));
    return bb.let('s', sc);
  };
  const processTile = (bb: BodyBuilder, j0: KExpr, count: number) => {
    const scores = Array.from({ length: count }, (_, u) => score(bb, add(j0, u32(u))));
    let tmax = scores[0]!;
    for (const sc of scores.slice(1)) tmax = call('max', tmax, sc);
    const mNew = bb.let('m_new', call('max', m, tmax));
    const corr = bb.let('corr', call('exp', sub(m, mNew)));
    bb.assign(l, mul(l, corr));
    acc.forEach((a) => bb.assign(a, mul(a, corr)));
    scores.forEach((sc, u) => {
      const p = bb.let('p', call('exp', sub(sc, mNew)));
      bb.assign(l, add(l, p));
      acc.forEach((a, c) => bb.assign(a, call('fma', vv === 4 ? splat(F4, p) : p, load(V, [...lead, add(j0, u32(u)), u32(c * vv)], vv, bb), a)));
    });
    bb.assign(m, mNew);
  };
  const full = w.tk - (w.tk % tile);
  if (full > 0) b.for('j', u32(0), u32(full), tile, (j, bb) => processTile(bb, j, tile));
  if (full < w.tk) b.block((bb) => processTile(bb, u32(full), w.tk - full));
  const chunks = w.dv / vv;
  storeClsStats(b, w, { lead, row, m, l, score, value: (bb, j, c) => load(V, [...lead, j, u32(c * vv)], vv, bb), chunks, out });
  b.if(lt(row, u32(w.tq)), (t) => {
    const inv = t.let('inv_l', div(f32(1), l));
    acc.forEach((a, c) => {
      const idx = [...lead, row, u32(c * vv)];
      const off = storeOffset(w.output.view, idx, t);
      const v = mul(a, inv);
      if (out.vec === 4) t.store(out.name, div(off, u32(4)), v);
      else if (vv === 4) [0, 1, 2, 3].forEach((ln) => t.store(out.name, storeOffset(w.output.view, [...lead, row, u32(c * 4 + ln)], t), lane(v, ln)));
      else t.store(out.name, off, v);
    });
  });
  return { name, buffers: [...ops.map((o) => o.buffer), out], shared: [], workgroupSize: [s.rows, 1, 1], grid: [ceilDiv(w.tq, s.rows), product(w.batch), 1], body: b.stmts };
}
