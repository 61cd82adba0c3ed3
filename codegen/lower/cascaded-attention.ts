import { BodyBuilder } from '../kernel-ir/body.js';
import { add, and, call, div, f32, ge, load, lt, mod, mul, sub, u32 } from '../kernel-ir/build.js';
import type { KBuffer, KExpr, Kernel } from '../kernel-ir/types.js';
import { cascadedScratchLayout } from '../plan/structural-seeds.js';
import type { CascadedAttentionSchedule } from '../schedule/structural.js';
import type { CascadedAttentionWorkload } from '../workload/structural.js';
import { outputBuffer, storeOffset } from './common.js';
import { bindOperand, loadScalar } from './operands.js';
import { lowerPointwise } from './pointwise.js';

/**
 * Cascaded group attention, one workgroup per window, every head in sequence inside the kernel.
 * Each head runs five phases over the workgroup's invocations (input slice + previous head,
 * q/k/v projection, depthwise filter of q, scores + bias, row softmax, values), separated by
 * storage barriers, with the per-window intermediates in the scratch buffer; a last phase
 * projects ReLU(concat of the heads) to the output and applies the fused epilogue.
 */
export function lowerCascadedAttention(w: CascadedAttentionWorkload, s: CascadedAttentionSchedule, name: string): Kernel {
  const { heads, keyDim: kd, valueDim: d, height: H, width: W, channels: C, outChannels: CO } = w;
  const n = H * W;
  const o = 2 * kd + d;
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
  /** `for (e = tid; e < count; e += wg)`, with e split as (row, column) of a [count / cols, cols] grid. */
  const spread = (label: string, count: number, cols: number, f: (row: KExpr, col: KExpr, e: KExpr, bb: BodyBuilder) => void) => {
    b.comment(label);
    b.for('e', tid, u32(count), s.wg, (e, bb) => f(bb.let('r', div(e, u32(cols))), bb.let('c', mod(e, u32(cols))), e, bb));
    b.barrier(true);
  };
  const tokenYX = (t: KExpr, bb: BodyBuilder): [KExpr, KExpr] => [bb.let('py', div(t, u32(W))), bb.let('px', mod(t, u32(W)))];

  for (let j = 0; j < heads; j++) {
    spread(`head ${j}: input slice${j > 0 ? ' + previous head' : ''}`, d * n, n, (c, t, e, bb) => {
      const [py, px] = tokenYX(t, bb);
      let v = loadScalar(ops[w.x]!, [win, add(u32(j * d), c), py, px], bb);
      if (j > 0) v = add(v, sc(S.y, add(mul(add(u32((j - 1) * d), c), u32(n)), t)));
      bb.store(scratch.name, at(S.xin, e), v);
    });
    spread(`head ${j}: q, k, v projection`, o * n, n, (r, t, e, bb) => {
      const acc = bb.var('acc', 'f32', par(L.bQkv + j * o, r));
      const row = bb.let('wrow', mul(add(u32(j * o), r), u32(d)));
      bb.for('ci', u32(0), u32(d), 1, (ci, lb) => lb.assign(acc, call('fma', par(L.wQkv, add(row, ci)), sc(S.xin, add(mul(ci, u32(n)), t)), acc)), d <= 8);
      bb.store(scratch.name, at(S.qkv, e), acc);
    });
    const k = w.kernels[j]!;
    const half = k >> 1;
    const lo = (w.kernelSide - k) / 2;
    spread(`head ${j}: ${k}x${k} depthwise filter of q`, kd * n, n, (r, t, e, bb) => {
      const [py, px] = tokenYX(t, bb);
      const acc = bb.var('acc', 'f32', par(L.bDw + j * kd, r));
      const taps = bb.let('taps', mul(add(u32(j * kd), r), u32(w.kernelSide * w.kernelSide)));
      for (let ty = 0; ty < k; ty++)
        for (let tx = 0; tx < k; tx++) {
          // Source position (py + ty − half, px + tx − half), zero outside the window.
          const sy = add(py, u32(ty));
          const sx = add(px, u32(tx));
          const inside = and(and(ge(sy, u32(half)), lt(sy, u32(H + half))), and(ge(sx, u32(half)), lt(sx, u32(W + half))));
          const src = call('select', inside, add(mul(sub(sy, u32(half)), u32(W)), sub(sx, u32(half))), u32(0));
          const wv = par(L.wDw, add(taps, u32((lo + ty) * w.kernelSide + lo + tx)));
          bb.assign(acc, add(acc, call('select', inside, mul(wv, sc(S.qkv, add(mul(r, u32(n)), src))), f32(0))));
        }
      bb.store(scratch.name, at(S.q, e), acc);
    });
    spread(`head ${j}: scores`, n * n, n, (t, m, e, bb) => {
      const acc = bb.var('acc', 'f32', f32(0));
      for (let r = 0; r < kd; r++) bb.assign(acc, call('fma', sc(S.q, add(u32(r * n), t)), sc(S.qkv, add(u32((kd + r) * n), m)), acc));
      bb.store(scratch.name, at(S.p, e), call('fma', acc, f32(w.scale), par(L.bias + j * n * n, e)));
    });
    spread(`head ${j}: softmax`, n, 1, (t, _c, _e, bb) => {
      const row = bb.let('prow', mul(t, u32(n)));
      const mx = bb.var('mx', 'f32', f32(-3.0e38));
      bb.for('m', u32(0), u32(n), 1, (m, lb) => lb.assign(mx, call('max', mx, sc(S.p, add(row, m)))));
      const sum = bb.var('sum', 'f32', f32(0));
      bb.for('m', u32(0), u32(n), 1, (m, lb) => {
        const ex = lb.let('ex', call('exp', sub(sc(S.p, add(row, m)), mx)));
        lb.store(scratch.name, at(S.p, add(row, m)), ex);
        lb.assign(sum, add(sum, ex));
      });
      const inv = bb.let('inv', div(f32(1), sum));
      bb.for('m', u32(0), u32(n), 1, (m, lb) => lb.store(scratch.name, at(S.p, add(row, m)), mul(sc(S.p, add(row, m)), inv)));
    });
    spread(`head ${j}: values`, d * n, n, (c, t, _e, bb) => {
      const acc = bb.var('acc', 'f32', f32(0));
      const prow = bb.let('prow', mul(t, u32(n)));
      const vrow = bb.let('vrow', mul(add(u32(2 * kd), c), u32(n)));
      bb.for('m', u32(0), u32(n), 1, (m, lb) => lb.assign(acc, call('fma', sc(S.p, add(prow, m)), sc(S.qkv, add(vrow, m)), acc)));
      bb.store(scratch.name, at(S.y, add(mul(add(u32(j * d), c), u32(n)), t)), acc);
    });
  }
  b.comment('output projection');
  b.for('e', tid, u32(CO * n), s.wg, (e, bb) => {
    const oc = bb.let('oc', div(e, u32(n)));
    const t = bb.let('t', mod(e, u32(n)));
    const acc = bb.var('acc', 'f32', par(L.bProj, oc));
    const row = bb.let('prow', mul(oc, u32(C)));
    bb.for('ci', u32(0), u32(C), 1, (ci, lb) => {
      const y = sc(S.y, add(mul(ci, u32(n)), t));
      lb.assign(acc, call('fma', par(L.wProj, add(row, ci)), w.activation === 'relu' ? call('max', y, f32(0)) : y, acc));
    });
    const idx = [win, oc, bb.let('oy', div(t, u32(W))), bb.let('ox', mod(t, u32(W)))];
    const v = lowerPointwise(w.epilogue, { acc: () => acc, input: (i) => loadScalar(ops[i]!, idx, bb) }, 1);
    bb.store(out.name, storeOffset(w.output.view, idx, bb), v);
  });
  const buffers = ops.map((op, i) => (i === w.scratch ? scratch : op.buffer));
  return { name, buffers: [...buffers, out], shared: [], workgroupSize: [s.wg, 1, 1], grid: [w.batch, 1, 1], body: b.stmts };
}
