import { BodyBuilder } from '../kernel-ir/body.js';
import { add, and, call, div, eq, f32, ge, gt, lane, load, lt, max, min, mod, mul, splat, sub, u32, vec } from '../kernel-ir/build.js';
import { type KBuffer, type KExpr, type Kernel, vecType } from '../kernel-ir/types.js';
import { cascadedBiasStride, cascadedScratchLayout } from '../plan/structural-seeds.js';
import type { CascadedAttentionSchedule } from '../schedule/structural.js';
import type { CascadedAttentionWorkload } from '../workload/structural.js';
import { outputBuffer, storeOffset } from './common.js';
import { bindOperand, loadScalar } from './operands.js';
import { lowerPointwise } from './pointwise.js';

/** Register accumulators per token when the schedule does not say (records from before the knob). */
export const CASCADED_DEFAULT_CHUNK = 8;

const F4 = vecType('f32', 4);

/** Whether the channel counts allow the vec4 form (every channel run a whole number of vec4s). */
export function cascadedVec4Fits(w: CascadedAttentionWorkload): boolean {
  return [w.keyDim, w.valueDim, w.channels, w.outChannels].every((c) => c % 4 === 0);
}

/**
 * Cascaded group attention, one workgroup per window, every head in sequence inside the kernel.
 *
 * An invocation owns ceil(N / wg) consecutive tokens of the window (its slots) and computes them
 * together, register-tiled: every weight, key and value it loads serves all of its slots, and
 * every token value serves `chunk` output rows. With `vec` 4, channels move as vec4s (the scratch
 * is token-major, the depthwise weights tap-major, the bias rows padded to whole vec4s of keys, so
 * each of those runs is contiguous); on a CPU driver such as llvmpipe every load is a loop over
 * the SIMD lanes, so four channels per load is what makes the kernel fast there. Nothing branches
 * on the token: an invocation past the last token computes on the last token's data and only its
 * stores are guarded. Per head:
 *   1. input slice (+ the previous head's output for the same token), then the q/k/v projection;
 *   — barrier: the depthwise filter reads neighbouring tokens' q, attention every token's k, v —
 *   2. the depthwise filter of each slot's q (in registers), then its attention row: a pass for
 *      the row maximum, then per `chunk` value channels a pass for the exp-weighted sum (scores
 *      are recomputed per pass instead of stored, so there is no N×N buffer);
 *   — barrier before the next head overwrites q/k/v —
 * and last the output projection of ReLU(concat of the heads), which reads only the invocation's
 * own tokens' head outputs, with the fused epilogue. Heads, chunks, taps and keys are loops, not
 * unrolled copies: llvmpipe's compile time grows much faster than linearly with the number of
 * loads in a kernel that has barriers.
 */
export function lowerCascadedAttention(w: CascadedAttentionWorkload, s: CascadedAttentionSchedule, name: string): Kernel {
  const { heads, keyDim: kd, valueDim: d, height: H, width: W, channels: C, outChannels: CO } = w;
  const n = H * W;
  const o = 2 * kd + d;
  const V = s.vec !== 1 && cascadedVec4Fits(w) ? 4 : 1;
  const R = Math.max(V, Math.ceil((s.chunk ?? CASCADED_DEFAULT_CHUNK) / V) * V);
  const stride = cascadedBiasStride(n);
  const L = w.layout;
  const S = cascadedScratchLayout(C, heads, kd, n);
  const ops = w.operands.map((op, i) => bindOperand(`in${i}`, op, V === 4 && (i === w.params || i === w.scratch)));
  const scratch: KBuffer = { ...ops[w.scratch]!.buffer, access: 'read_write' };
  const params = ops[w.params]!.buffer;
  if (V === 4 && (scratch.vec !== 4 || params.vec !== 4)) throw new Error('internal: cascaded_attention scratch/params not vec4-readable');
  const out = outputBuffer(w.output.view, false);
  const b = new BodyBuilder();
  const win = b.let('win', { k: 'builtin', type: 'u32', which: 'workgroup_id', axis: 0 });
  const tid: KExpr = { k: 'builtin', type: 'u32', which: 'local_id', axis: 0 };
  const base = b.let('base', mul(win, u32(w.scratchPerWindow)));
  const range = (count: number) => Array.from({ length: count }, (_, i) => i);
  /** Element index → buffer index (vec4 number when the buffer is vec4; the element is aligned). */
  const ix = (e: KExpr) => (V === 4 ? div(e, u32(4)) : e);
  /** V channels of scratch region `region` at token t, channel c of a row of `width`. */
  const sc = (region: number, width: number, t: KExpr, c: KExpr) => load(scratch, ix(add(base, add(u32(region), add(mul(t, u32(width)), c)))));
  const scStore = (bb: BodyBuilder, region: number, width: number, t: KExpr, c: KExpr, v: KExpr) =>
    bb.store(scratch.name, ix(add(base, add(u32(region), add(mul(t, u32(width)), c)))), v);
  /** V consecutive parameters from element `offset + index`. */
  const par = (offset: number, index: KExpr) => load(params, ix(add(u32(offset), index)));
  /** One parameter of a V-run read by `par`. */
  const pick = (x: KExpr, i: number) => (V === 4 ? lane(x, i % 4) : x);
  /** acc + a·b over V lanes. */
  const dotAcc = (a: KExpr, x: KExpr, acc: KExpr) => (V === 4 ? add(acc, call('dot', a, x)) : call('fma', a, x, acc));
  const zeroV = V === 4 ? splat(F4, f32(0)) : f32(0);
  /** Type of a run of V channels. */
  const T = V === 4 ? F4 : 'f32';

  // Slot i of this invocation is token tid·slots + i.
  const slots = Math.ceil(n / s.wg);
  const first = b.let('tok0', mul(tid, u32(slots)));
  const slot = range(slots).map((i) => {
    const raw = add(first, u32(i));
    const t = b.let('t', min(raw, u32(n - 1)));
    return { t, real: b.let('real', lt(raw, u32(n))), py: b.let('py', div(t, u32(W))), px: b.let('px', mod(t, u32(W))) };
  });
  /** For each real slot: `f(slot, gb)` under `cond` (when given). */
  const guarded = (bb: BodyBuilder, cond: KExpr | undefined, f: (si: number, gb: BodyBuilder) => void) =>
    slot.forEach(({ real }, si) => bb.if(cond ? and(real, cond) : real, (gb) => f(si, gb)));
  /**
   * `count` rows (a multiple of V) in runs of R: a loop over runs; row groups of V past `count`
   * (in a last, partial run) are clamped for loads and `ok(g)` is their store condition.
   */
  const inRuns = (bb: BodyBuilder, count: number, f: (groups: KExpr[], ok: (g: number) => KExpr | undefined, cb: BodyBuilder) => void) => {
    const width = Math.min(R, count);
    bb.for('run', u32(0), u32(Math.ceil(count / width)), 1, (run, cb) => {
      const r0 = cb.let('r0', mul(run, u32(width)));
      const groups = range(width / V).map((g) => cb.let('rg', min(add(r0, u32(g * V)), u32(count - V))));
      f(groups, (g) => (count % width === 0 ? undefined : lt(add(r0, u32(g * V)), u32(count))), cb);
    });
  };
  /** The V values of a V-run `x` (one parameter per row of a group), as scalars. */
  const rowsOf = (x: KExpr) => range(V).map((i) => pick(x, i));

  const headBody = (j: KExpr, hb: BodyBuilder) => {
    hb.comment('input slice (+ previous head)');
    hb.for('c', u32(0), u32(d), V, (c, lb) => {
      slot.forEach(({ t, real, py, px }) => {
        const parts = range(V).map((i) => loadScalar(ops[w.x]!, [win, add(add(mul(j, u32(d)), c), u32(i)), py, px], lb));
        const xv = V === 4 ? vec(F4, parts) : parts[0]!;
        // Head j > 0 adds head j - 1's output (the channel is clamped for head 0, then unused).
        const prev = sc(S.y, C, t, add(mul(sub(max(j, u32(1)), u32(1)), u32(d)), c));
        const v = add(xv, call('select', gt(j, u32(0)), prev, zeroV));
        lb.if(real, (gb) => scStore(gb, S.xin, d, t, c, v));
      });
    });
    hb.comment('q/k/v projection');
    inRuns(hb, o, (groups, ok, cb) => {
      const rows = groups.flatMap((g) => range(V).map((i) => add(g, u32(i))));
      const bias = groups.flatMap((g) => rowsOf(cb.let('bq', par(L.bQkv, add(mul(j, u32(o)), g)))));
      const wrow = rows.map((r) => cb.let('wrow', mul(add(mul(j, u32(o)), r), u32(d))));
      const acc = slot.map(() => bias.map((bv) => cb.var('acc', 'f32', bv)));
      cb.for('ci', u32(0), u32(d), V, (ci, lb) => {
        const xv = slot.map(({ t }) => lb.let('xv', sc(S.xin, d, t, ci)));
        rows.forEach((_, i) => {
          const wv = lb.let('wv', par(L.wQkv, add(wrow[i]!, ci)));
          slot.forEach((_, si) => lb.assign(acc[si]![i]!, dotAcc(wv, xv[si]!, acc[si]![i]!)));
        });
      });
      groups.forEach((g, gi) =>
        guarded(cb, ok(gi), (si, gb) => {
          const parts = range(V).map((i) => acc[si]![gi * V + i]!);
          scStore(gb, S.qkv, o, slot[si]!.t, g, V === 4 ? vec(F4, parts) : parts[0]!);
        }),
      );
    });
    hb.barrier(true);

    // Head j's kernel side (uniform when the heads differ), its half, its offset in the packed
    // side × side taps.
    const side = w.kernelSide;
    const k = w.kernels.reduceRight<KExpr>((rest, kj, i) => (i === w.kernels.length - 1 ? u32(kj) : call('select', eq(j, u32(i)), u32(kj), rest)), u32(0));
    const kk = hb.let('kside', k);
    const half = hb.let('half', div(kk, u32(2)));
    const lo = hb.let('lo', div(sub(u32(side), kk), u32(2)));
    hb.comment('depthwise filter of q');
    const qg = range(kd / V);
    const q = slot.map(() => qg.map((g) => hb.var('q', T, par(L.bDw, add(mul(j, u32(kd)), u32(g * V))))));
    hb.for('ty', u32(0), kk, 1, (ty, yb) => {
      yb.for('tx', u32(0), kk, 1, (tx, lb) => {
        const tap = lb.let('tap', add(mul(j, u32(side * side)), add(mul(add(ty, lo), u32(side)), add(tx, lo))));
        // Source position (py + ty − half, px + tx − half), zero outside the window.
        const src = slot.map(({ py, px }) => {
          const sy = lb.let('sy', add(py, ty));
          const sx = lb.let('sx', add(px, tx));
          const inside = lb.let('inside', and(and(ge(sy, half), lt(sy, add(half, u32(H)))), and(ge(sx, half), lt(sx, add(half, u32(W))))));
          return { inside, at: lb.let('src', call('select', inside, add(mul(sub(sy, half), u32(W)), sub(sx, half)), u32(0))) };
        });
        qg.forEach((g) => {
          const wv = lb.let('wv', par(L.wDw, add(mul(tap, u32(kd)), u32(g * V))));
          src.forEach(({ inside, at: p }, si) => {
            const qr = q[si]![g]!;
            lb.assign(qr, add(qr, call('select', inside, mul(wv, sc(S.qkv, o, p, u32(g * V))), zeroV)));
          });
        });
      });
    });
    hb.comment('attention rows: maximum, then exp-weighted values');
    // Keys go V at a time (bias rows are padded with -3e38 to whole runs; padded keys read the
    // last real key's k and v, and their exp is 0).
    const biasRow = slot.map(({ t }) => hb.let('brow', mul(add(mul(j, u32(n)), t), u32(stride))));
    const keys = V === 4 ? stride : n;
    /** Keys m0 .. m0 + V - 1 (clamped to the last real key), each with its score for every slot. */
    const scores = (m0: KExpr, lb: BodyBuilder): { key: KExpr; perSlot: KExpr[] }[] => {
      const bias = slot.map((_, si) => lb.let('bias', par(L.bias, add(biasRow[si]!, m0))));
      return range(V).map((i) => {
        const key = V === 4 ? lb.let('key', min(add(m0, u32(i)), u32(n - 1))) : m0;
        let dots: KExpr[] = slot.map(() => f32(0));
        qg.forEach((g) => {
          const kv = lb.let('kv', sc(S.qkv, o, key, u32(kd + g * V)));
          dots = dots.map((dot, si) => dotAcc(q[si]![g]!, kv, dot));
        });
        return { key, perSlot: dots.map((dot, si) => lb.let('s', call('fma', dot, f32(w.scale), pick(bias[si]!, i)))) };
      });
    };
    const mx = slot.map(() => hb.var('mx', 'f32', f32(-3.0e38)));
    hb.for('m', u32(0), u32(keys), V, (m0, lb) => scores(m0, lb).forEach(({ perSlot }) => perSlot.forEach((sv, si) => lb.assign(mx[si]!, call('max', mx[si]!, sv)))));
    inRuns(hb, d, (groups, ok, cb) => {
      const sum = slot.map(() => cb.var('sum', 'f32', f32(0)));
      const acc = slot.map(() => groups.map(() => cb.var('av', T, zeroV)));
      cb.for('m', u32(0), u32(keys), V, (m0, lb) => {
        scores(m0, lb).forEach(({ key, perSlot }) => {
          const p = perSlot.map((sv, si) => lb.let('p', call('exp', sub(sv, mx[si]!))));
          p.forEach((pv, si) => lb.assign(sum[si]!, add(sum[si]!, pv)));
          groups.forEach((g, gi) => {
            const vv = lb.let('vv', sc(S.qkv, o, key, add(u32(2 * kd), g)));
            p.forEach((pv, si) => lb.assign(acc[si]![gi]!, call('fma', V === 4 ? splat(F4, pv) : pv, vv, acc[si]![gi]!)));
          });
        });
      });
      const inv = sum.map((sm) => cb.let('inv', div(f32(1), sm)));
      groups.forEach((g, gi) => guarded(cb, ok(gi), (si, gb) => scStore(gb, S.y, C, slot[si]!.t, add(mul(j, u32(d)), g), mul(acc[si]![gi]!, inv[si]!))));
    });
    // The next head overwrites q/k/v that other invocations may still be reading.
    hb.barrier(true);
  };

  // A loop, not one copy per head: the kernel's size (and llvmpipe's compile time) stays that of one head.
  b.comment(`heads 0..${heads - 1} in sequence`);
  b.for('head', u32(0), u32(heads), 1, (j, hb) => headBody(j, hb));

  b.comment('output projection');
  inRuns(b, CO, (groups, ok, cb) => {
    const ocs = groups.flatMap((g) => range(V).map((i) => add(g, u32(i))));
    const bias = groups.flatMap((g) => rowsOf(cb.let('bp', par(L.bProj, g))));
    const wrow = ocs.map((oc) => cb.let('wrow', mul(oc, u32(C))));
    const acc = slot.map(() => bias.map((bv) => cb.var('acc', 'f32', bv)));
    cb.for('ci', u32(0), u32(C), V, (ci, lb) => {
      const yv = slot.map(({ t }) => {
        const raw = sc(S.y, C, t, ci);
        return lb.let('yv', w.activation === 'relu' ? call('max', raw, zeroV) : raw);
      });
      ocs.forEach((_, i) => {
        const wv = lb.let('wv', par(L.wProj, add(wrow[i]!, ci)));
        slot.forEach((_, si) => lb.assign(acc[si]![i]!, dotAcc(wv, yv[si]!, acc[si]![i]!)));
      });
    });
    groups.forEach((_, gi) =>
      guarded(cb, ok(gi), (si, gb) =>
        range(V).forEach((i) => {
          const { py, px } = slot[si]!;
          const idx = [win, ocs[gi * V + i]!, py, px];
          const v = lowerPointwise(w.epilogue, { acc: () => acc[si]![gi * V + i]!, input: (x) => loadScalar(ops[x]!, idx, gb) }, 1);
          gb.store(out.name, storeOffset(w.output.view, idx, gb), v);
        }),
      ),
    );
  });
  const buffers = ops.map((op, i) => (i === w.scratch ? scratch : op.buffer));
  return { name, buffers: [...buffers, out], shared: [], workgroupSize: [s.wg, 1, 1], grid: [w.batch, 1, 1], body: b.stmts };
}
