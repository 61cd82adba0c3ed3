import { BodyBuilder } from '../kernel-ir/body.js';
import { add, and, call, div, eq, f32, ge, gt, load, lt, max, min, mod, mul, sub, u32 } from '../kernel-ir/build.js';
import type { KBuffer, KExpr, Kernel } from '../kernel-ir/types.js';
import { cascadedScratchLayout } from '../plan/structural-seeds.js';
import type { CascadedAttentionSchedule } from '../schedule/structural.js';
import type { CascadedAttentionWorkload } from '../workload/structural.js';
import { outputBuffer, storeOffset } from './common.js';
import { bindOperand, loadScalar } from './operands.js';
import { lowerPointwise } from './pointwise.js';

/** Register accumulators per token when the schedule does not say (records from before the knob). */
export const CASCADED_DEFAULT_CHUNK = 8;

/**
 * Cascaded group attention, one workgroup per window, every head in sequence inside the kernel.
 *
 * An invocation owns ceil(N / wg) tokens of the window (its slots) and computes them together,
 * register-tiled: every weight, key and value it loads serves all of its slots, and every token
 * value serves `chunk` output rows. Nothing branches on the token: an invocation past the last
 * token computes on the last token's data and only its stores are guarded. Per head:
 *   1. input slice (+ the previous head's output for the same token), then the q/k/v projection;
 *   — barrier: the depthwise filter reads neighbouring tokens' q, attention every token's k, v —
 *   2. the depthwise filter of each slot's q (in registers), then its attention row: a pass for
 *      the row maximum, then per `chunk` value channels a pass for the exp-weighted sum (scores
 *      are recomputed per pass instead of stored, so there is no N×N buffer);
 *   — barrier before the next head overwrites q/k/v —
 * and last the output projection of ReLU(concat of the heads), which reads only the invocation's
 * own tokens' head outputs, with the fused epilogue. Chunks, heads, taps and keys are
 * loops, not unrolled copies: llvmpipe's compile time grows much faster than linearly
 * with the number of loads in a kernel that has barriers.
 */
export function lowerCascadedAttention(w: CascadedAttentionWorkload, s: CascadedAttentionSchedule, name: string): Kernel {
  const { heads, keyDim: kd, valueDim: d, height: H, width: W, channels: C, outChannels: CO } = w;
  const n = H * W;
  const o = 2 * kd + d;
  const chunk = Math.max(1, s.chunk ?? CASCADED_DEFAULT_CHUNK);
  const L = w.layout;
  const S = cascadedScratchLayout(C, heads, kd, n);
  const ops = w.operands.map((op, i) => bindOperand(`in${i}`, op, false));
  const scratch: KBuffer = { ...ops[w.scratch]!.buffer, access: 'read_write' };
  const params = ops[w.params]!.buffer;
  const out = outputBuffer(w.output.view, false);
  const b = new BodyBuilder();
  const win = b.let('win', { k: 'builtin', type: 'u32', which: 'workgroup_id', axis: 0 });
  const tid: KExpr = { k: 'builtin', type: 'u32', which: 'local_id', axis: 0 };
  const base = b.let('base', mul(win, u32(w.scratchPerWindow)));
  const at = (region: number, index: KExpr): KExpr => add(base, add(u32(region), index));
  const sc = (region: number, index: KExpr): KExpr => load(scratch, at(region, index));
  const par = (offset: number, index: KExpr): KExpr => load(params, add(u32(offset), index));
  /** Element (row, token) of a [rows, n] scratch region. */
  const cell = (row: KExpr, t: KExpr): KExpr => add(mul(row, u32(n)), t);
  const range = (count: number) => Array.from({ length: count }, (_, i) => i);

  // Slot i of this invocation is token tid·slots + i: its tokens are consecutive.
  const slots = Math.ceil(n / s.wg);
  const first = b.let('tok0', mul(tid, u32(slots)));
  const slot = range(slots).map((i) => {
    const raw = add(first, u32(i));
    const t = b.let('t', min(raw, u32(n - 1)));
    return { t, real: b.let('real', lt(raw, u32(n))), py: b.let('py', div(t, u32(W))), px: b.let('px', mod(t, u32(W))) };
  });
  /** Stores for the real slots only, each also under its row's condition when it has one. */
  const stores = (bb: BodyBuilder, rows: number, ok: (i: number) => KExpr | undefined, f: (si: number, i: number, gb: BodyBuilder) => void) =>
    slot.forEach(({ real }, si) =>
      bb.if(real, (rb) =>
        range(rows).forEach((i) => {
          const cond = ok(i);
          if (cond) rb.if(cond, (gb) => f(si, i, gb));
          else f(si, i, rb);
        }),
      ),
    );
  /** `count` rows in runs of `chunk` registers: a loop over runs, rows clamped. */
  const inChunks = (bb: BodyBuilder, count: number, f: (rows: KExpr[], rowOk: (i: number) => KExpr | undefined, cb: BodyBuilder) => void) => {
    const width = Math.min(chunk, count);
    bb.for('run', u32(0), u32(Math.ceil(count / width)), 1, (run, cb) => {
      const r0 = cb.let('r0', mul(run, u32(width)));
      const rows = range(width).map((i) => cb.let('row', min(add(r0, u32(i)), u32(count - 1))));
      f(rows, (i) => (count % width === 0 ? undefined : lt(add(r0, u32(i)), u32(count))), cb);
    });
  };
  /** Accumulators [slot][row] initialised to `init(row)`. */
  const accs = (bb: BodyBuilder, label: string, rows: number, init: (i: number) => KExpr) =>
    slot.map(() => range(rows).map((i) => bb.var(label, 'f32', init(i))));

  const headBody = (j: KExpr, hb: BodyBuilder) => {
    hb.comment('input slice (+ previous head)');
    hb.for('c', u32(0), u32(d), 1, (c, lb) => {
      slot.forEach(({ t, real, py, px }) => {
        let v = loadScalar(ops[w.x]!, [win, add(mul(j, u32(d)), c), py, px], lb);
        // Head j > 0 adds head j - 1's output (the row index is clamped for head 0, then unused).
        const prev = sc(S.y, cell(add(mul(sub(max(j, u32(1)), u32(1)), u32(d)), c), t));
        v = add(v, call('select', gt(j, u32(0)), prev, f32(0)));
        lb.if(real, (gb) => gb.store(scratch.name, at(S.xin, cell(c, t)), v));
      });
    });
    hb.comment('q/k/v projection');
    inChunks(hb, o, (rows, rowOk, cb) => {
      const wrow = rows.map((r) => cb.let('wrow', mul(add(mul(j, u32(o)), r), u32(d))));
      const acc = accs(cb, 'acc', rows.length, (i) => par(L.bQkv, add(mul(j, u32(o)), rows[i]!)));
      cb.for('ci', u32(0), u32(d), 1, (ci, lb) => {
        const xv = slot.map(({ t }) => lb.let('xv', sc(S.xin, cell(ci, t))));
        rows.forEach((_, i) => {
          const wv = lb.let('wv', par(L.wQkv, add(wrow[i]!, ci)));
          slot.forEach((_, si) => lb.assign(acc[si]![i]!, call('fma', wv, xv[si]!, acc[si]![i]!)));
        });
      });
      stores(cb, rows.length, rowOk, (si, i, gb) => gb.store(scratch.name, at(S.qkv, cell(rows[i]!, slot[si]!.t)), acc[si]![i]!));
    });
    hb.barrier(true);

    // Head j's kernel side k (a uniform value when the heads differ), its half and its offset in
    // the packed kernelSide × kernelSide weights.
    const k = w.kernels.reduceRight<KExpr>((rest, kj, i) => (i === w.kernels.length - 1 ? u32(kj) : call('select', eq(j, u32(i)), u32(kj), rest)), u32(0));
    const kk = hb.let('kside', k);
    const half = hb.let('half', div(kk, u32(2)));
    const side = w.kernelSide;
    const lo = hb.let('lo', div(sub(u32(side), kk), u32(2)));
    hb.comment('depthwise filter of q');
    const q = accs(hb, 'q', kd, (r) => par(L.bDw, add(mul(j, u32(kd)), u32(r))));
    const taps = hb.let('taps', mul(mul(j, u32(kd)), u32(side * side)));
    hb.for('ty', u32(0), kk, 1, (ty, yb) => {
      yb.for('tx', u32(0), kk, 1, (tx, lb) => {
        const tap = lb.let('tap', add(taps, add(mul(add(ty, lo), u32(side)), add(tx, lo))));
        // Source position (py + ty − half, px + tx − half), zero outside the window.
        const src = slot.map(({ py, px }) => {
          const sy = lb.let('sy', add(py, ty));
          const sx = lb.let('sx', add(px, tx));
          const inside = lb.let('inside', and(and(ge(sy, half), lt(sy, add(half, u32(H)))), and(ge(sx, half), lt(sx, add(half, u32(W))))));
          return { inside, at: lb.let('src', call('select', inside, add(mul(sub(sy, half), u32(W)), sub(sx, half)), u32(0))) };
        });
        range(kd).forEach((r) => {
          const wv = lb.let('wv', par(L.wDw + r * side * side, tap));
          src.forEach(({ inside, at: p }, si) => {
            const qr = q[si]![r]!;
            lb.assign(qr, add(qr, call('select', inside, mul(wv, sc(S.qkv, cell(u32(r), p))), f32(0))));
          });
        });
      });
    });
    hb.comment('attention rows: maximum, then exp-weighted values');
    const biasRow = slot.map(({ t }) => hb.let('brow', add(add(u32(L.bias), mul(j, u32(n * n))), mul(t, u32(n)))));
    const scores = (m: KExpr, lb: BodyBuilder): KExpr[] => {
      const dots: KExpr[] = slot.map(() => f32(0));
      range(kd).forEach((r) => {
        const kv = lb.let('kv', sc(S.qkv, cell(u32(kd + r), m)));
        slot.forEach((_, si) => (dots[si] = call('fma', q[si]![r]!, kv, dots[si]!)));
      });
      return dots.map((dot, si) => lb.let('s', call('fma', dot, f32(w.scale), load(params, add(biasRow[si]!, m)))));
    };
    const mx = slot.map(() => hb.var('mx', 'f32', f32(-3.0e38)));
    hb.for('m', u32(0), u32(n), 1, (m, lb) => scores(m, lb).forEach((sv, si) => lb.assign(mx[si]!, call('max', mx[si]!, sv))));
    inChunks(hb, d, (chans, chanOk, cb) => {
      const sum = slot.map(() => cb.var('sum', 'f32', f32(0)));
      const acc = accs(cb, 'av', chans.length, () => f32(0));
      cb.for('m', u32(0), u32(n), 1, (m, lb) => {
        const p = scores(m, lb).map((sv, si) => lb.let('p', call('exp', sub(sv, mx[si]!))));
        p.forEach((pv, si) => lb.assign(sum[si]!, add(sum[si]!, pv)));
        chans.forEach((c, i) => {
          const vv = lb.let('vv', sc(S.qkv, cell(add(u32(2 * kd), c), m)));
          p.forEach((pv, si) => lb.assign(acc[si]![i]!, call('fma', pv, vv, acc[si]![i]!)));
        });
      });
      const inv = sum.map((sm) => cb.let('inv', div(f32(1), sm)));
      stores(cb, chans.length, chanOk, (si, i, gb) =>
        gb.store(scratch.name, at(S.y, cell(add(mul(j, u32(d)), chans[i]!), slot[si]!.t)), mul(acc[si]![i]!, inv[si]!)),
      );
    });
    // The next head overwrites q/k/v that other invocations may still be reading.
    hb.barrier(true);
  };

  // A loop, not one copy per head: the kernel's size (and llvmpipe's compile time) stays that of one head.
  b.comment(`heads 0..${heads - 1} in sequence`);
  b.for('head', u32(0), u32(heads), 1, (j, hb) => headBody(j, hb));

  b.comment('output projection');
  inChunks(b, CO, (ocs, ocOk, cb) => {
    const wrow = ocs.map((oc) => cb.let('wrow', mul(oc, u32(C))));
    const acc = accs(cb, 'acc', ocs.length, (i) => par(L.bProj, ocs[i]!));
    cb.for('ci', u32(0), u32(C), 1, (ci, lb) => {
      const yv = slot.map(({ t }) => {
        const raw = sc(S.y, cell(ci, t));
        return lb.let('yv', w.activation === 'relu' ? call('max', raw, f32(0)) : raw);
      });
      ocs.forEach((_, i) => {
        const wv = lb.let('wv', par(L.wProj, add(wrow[i]!, ci)));
        slot.forEach((_, si) => lb.assign(acc[si]![i]!, call('fma', wv, yv[si]!, acc[si]![i]!)));
      });
    });
    stores(cb, ocs.length, ocOk, (si, i, gb) => {
      const { py, px } = slot[si]!;
      const idx = [win, ocs[i]!, py, px];
      const v = lowerPointwise(w.epilogue, { acc: () => acc[si]![i]!, input: (x) => loadScalar(ops[x]!, idx, gb) }, 1);
      gb.store(out.name, storeOffset(w.output.view, idx, gb), v);
    });
  });
  const buffers = ops.map((op, i) => (i === w.scratch ? scratch : op.buffer));
  return { name, buffers: [...buffers, out], shared: [], workgroupSize: [s.wg, 1, 1], grid: [w.batch, 1, 1], body: b.stmts };
}
