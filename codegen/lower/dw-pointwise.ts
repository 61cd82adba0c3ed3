import { BodyBuilder } from '../kernel-ir/body.js';
import { add, and, call, div, lane, load, lt, min, mod, mul, sharedLoad, splat, u32, vec } from '../kernel-ir/build.js';
import { type KExpr, type Kernel, type KShared, vecType } from '../kernel-ir/types.js';
import type { DwPointwiseSchedule } from '../schedule/structural.js';
import type { DwPointwiseWorkload } from '../workload/structural.js';
import { ceilDiv, outputBuffer, storeOffset } from './common.js';
import { bindOperand, loadScalar } from './operands.js';
import { lowerPointwise } from './pointwise.js';

const F4 = vecType('f32', 4);
/** 1x1 output channels per invocation step (each with four positions in a vec4). */
const ROWS = 4;

/**
 * Depthwise convolution feeding a 1x1 convolution, in one kernel. A workgroup owns `tokens`
 * consecutive output positions of one image (rounded up to whole groups of four): it first
 * computes their depthwise results for all channels into workgroup memory, then every 1x1 output
 * channel for them from there, so the depthwise result never goes to memory. Both phases are
 * register-tiled over four positions (one vec4): each depthwise weight serves four positions,
 * and each 1x1 step reads one vec4 of the tile and ROWS weights for ROWS × 4 products.
 * Grid: (position tiles, batch).
 */
export function lowerDwPointwise(w: DwPointwiseWorkload, s: DwPointwiseSchedule, name: string): Kernel {
  const [oh, ow] = w.outSize;
  const [kh, kw] = w.kernel;
  const [sh, sw] = w.strides;
  const [dh, dw] = w.dilations;
  const quads = ceilDiv(s.tokens, 4);
  const T = quads * 4;
  const C = w.channels;
  const O = w.outChannels;
  const positions = oh * ow;
  const L = w.layout;
  const ops = w.operands.map((op, i) => bindOperand(`in${i}`, op, false));
  const params = ops[w.params]!.buffer;
  const out = outputBuffer(w.output.view, false);
  // Depthwise results, [C][quads] vec4s: channel c, positions 4q .. 4q + 3 of the tile.
  const tile: KShared = { name: 'dwtile', elem: 'f32', vec: 4, length: C * quads };
  const par = (offset: number, index: KExpr): KExpr => load(params, add(u32(offset), index));
  const b = new BodyBuilder();
  const tid: KExpr = { k: 'builtin', type: 'u32', which: 'local_id', axis: 0 };
  const p0 = b.let('p0', mul({ k: 'builtin', type: 'u32', which: 'workgroup_id', axis: 0 }, u32(T)));
  const bi = b.let('bi', { k: 'builtin', type: 'u32', which: 'workgroup_id', axis: 1 });
  const four = [0, 1, 2, 3];

  b.comment('depthwise results of the tile, every channel, four positions at a time');
  b.for('e', tid, u32(C * quads), s.wg, (e, bb) => {
    const c = bb.let('ch', div(e, u32(quads)));
    const q0 = bb.let('q0', add(p0, mul(mod(e, u32(quads)), u32(4))));
    const at = four.map((i) => {
      const pc = bb.let('pc', min(add(q0, u32(i)), u32(positions - 1)));
      return { oy: bb.let('oy', div(pc, u32(ow))), ox: bb.let('ox', mod(pc, u32(ow))) };
    });
    const acc = four.map(() => bb.var('acc', 'f32', par(L.bDw, c)));
    const taps = bb.let('taps', mul(c, u32(kh * kw)));
    for (let ky = 0; ky < kh; ky++)
      for (let kx = 0; kx < kw; kx++) {
        const wv = bb.let('wv', par(L.wDw, add(taps, u32(ky * kw + kx))));
        at.forEach(({ oy, ox }, i) => {
          const iy = add(mul(oy, u32(sh)), u32(ky * dh));
          const ix = add(mul(ox, u32(sw)), u32(kx * dw));
          bb.assign(acc[i]!, call('fma', wv, loadScalar(ops[w.x]!, [bi, c, iy, ix], bb), acc[i]!));
        });
      }
    bb.sharedStore(tile.name, e, vec(F4, acc));
  });
  b.barrier();

  b.comment(`1x1 outputs of the tile: ${ROWS} channels x 4 positions per step`);
  const blocks = ceilDiv(O, ROWS);
  b.for('e', tid, u32(quads * blocks), s.wg, (e, bb) => {
    const qd = bb.let('qd', mod(e, u32(quads)));
    const oc0 = bb.let('oc0', mul(div(e, u32(quads)), u32(ROWS)));
    const ocs = Array.from({ length: ROWS }, (_, r) => bb.let('oc', min(add(oc0, u32(r)), u32(O - 1))));
    const wrow = ocs.map((oc) => bb.let('wrow', mul(oc, u32(C))));
    const acc = ocs.map((oc) => bb.var('acc', F4, splat(F4, par(L.bPw, oc))));
    bb.for('ci', u32(0), u32(C), 1, (ci, lb) => {
      const tv = lb.let('tv', sharedLoad(tile, add(mul(ci, u32(quads)), qd)));
      acc.forEach((a, r) => lb.assign(a, call('fma', splat(F4, par(L.wPw, add(wrow[r]!, ci))), tv, a)));
    });
    const q0 = bb.let('q0', add(p0, mul(qd, u32(4))));
    ocs.forEach((oc, r) => {
      four.forEach((i) => {
        const p = add(q0, u32(i));
        const ok = O % ROWS === 0 ? lt(p, u32(positions)) : and(lt(p, u32(positions)), lt(add(oc0, u32(r)), u32(O)));
        bb.if(ok, (ib) => {
          const pp = ib.let('p', p);
          const idx = [bi, oc, ib.let('oy', div(pp, u32(ow))), ib.let('ox', mod(pp, u32(ow)))];
          const v = lowerPointwise(w.epilogue, { acc: () => lane(acc[r]!, i), input: (x) => loadScalar(ops[x]!, idx, ib) }, 1);
          ib.store(out.name, storeOffset(w.output.view, idx, ib), v);
        });
      });
    });
  });
  return { name, buffers: [...ops.map((o) => o.buffer), out], shared: [tile], workgroupSize: [s.wg, 1, 1], grid: [ceilDiv(positions, T), w.batch, 1], body: b.stmts };
}
