import { BodyBuilder } from '../kernel-ir/body.js';
import { add, call, div, f32, load, lt, mod, mul, sharedLoad, u32 } from '../kernel-ir/build.js';
import type { KExpr, Kernel, KShared } from '../kernel-ir/types.js';
import type { DwPointwiseSchedule } from '../schedule/structural.js';
import type { DwPointwiseWorkload } from '../workload/structural.js';
import { ceilDiv, outputBuffer, storeOffset } from './common.js';
import { bindOperand, loadScalar } from './operands.js';
import { lowerPointwise } from './pointwise.js';

/**
 * Depthwise convolution feeding a 1x1 convolution, in one kernel. A workgroup owns `tokens`
 * consecutive output positions of one image: it first computes their depthwise results for all
 * channels into workgroup memory, then every 1x1 output channel for them from there.
 * Grid: (position tiles, batch).
 */
export function lowerDwPointwise(w: DwPointwiseWorkload, s: DwPointwiseSchedule, name: string): Kernel {
  const [oh, ow] = w.outSize;
  const [kh, kw] = w.kernel;
  const [sh, sw] = w.strides;
  const [dh, dw] = w.dilations;
  const T = s.tokens;
  const C = w.channels;
  const positions = oh * ow;
  const L = w.layout;
  const ops = w.operands.map((op, i) => bindOperand(`in${i}`, op, false));
  const params = ops[w.params]!.buffer;
  const out = outputBuffer(w.output.view, false);
  const tile: KShared = { name: 'dwtile', elem: 'f32', vec: 1, length: C * T };
  const par = (offset: number, index: KExpr): KExpr => load(params, add(u32(offset), index));
  const b = new BodyBuilder();
  const tid: KExpr = { k: 'builtin', type: 'u32', which: 'local_id', axis: 0 };
  const p0 = b.let('p0', mul({ k: 'builtin', type: 'u32', which: 'workgroup_id', axis: 0 }, u32(T)));
  const bi = b.let('bi', { k: 'builtin', type: 'u32', which: 'workgroup_id', axis: 1 });
  b.comment('depthwise results of the tile, every channel');
  b.for('e', tid, u32(C * T), s.wg, (e, bb) => {
    const c = bb.let('ch', div(e, u32(T)));
    const p = bb.let('p', add(p0, mod(e, u32(T))));
    const pc = bb.let('pc', call('min', p, u32(positions - 1)));
    const oy = bb.let('oy', div(pc, u32(ow)));
    const ox = bb.let('ox', mod(pc, u32(ow)));
    const acc = bb.var('acc', 'f32', par(L.bDw, c));
    const taps = bb.let('taps', mul(c, u32(kh * kw)));
    for (let ky = 0; ky < kh; ky++)
      for (let kx = 0; kx < kw; kx++) {
        const iy = add(mul(oy, u32(sh)), u32(ky * dh));
        const ix = add(mul(ox, u32(sw)), u32(kx * dw));
        bb.assign(acc, call('fma', par(L.wDw, add(taps, u32(ky * kw + kx))), loadScalar(ops[w.x]!, [bi, c, iy, ix], bb), acc));
      }
    bb.sharedStore(tile.name, e, acc);
  });
  b.barrier();
  b.comment('1x1 outputs of the tile');
  b.for('e', tid, u32(w.outChannels * T), s.wg, (e, bb) => {
    const oc = bb.let('oc', div(e, u32(T)));
    const tt = bb.let('tt', mod(e, u32(T)));
    const p = bb.let('p', add(p0, tt));
    bb.if(lt(p, u32(positions)), (ib) => {
      const acc = ib.var('acc', 'f32', par(L.bPw, oc));
      const row = ib.let('wrow', mul(oc, u32(C)));
      ib.for('ci', u32(0), u32(C), 1, (ci, lb) => lb.assign(acc, call('fma', par(L.wPw, add(row, ci)), sharedLoad(tile, add(mul(ci, u32(T)), tt)), acc)));
      const idx = [bi, oc, ib.let('oy', div(p, u32(ow))), ib.let('ox', mod(p, u32(ow)))];
      const v = lowerPointwise(w.epilogue, { acc: () => acc, input: (i) => loadScalar(ops[i]!, idx, ib) }, 1);
      ib.store(out.name, storeOffset(w.output.view, idx, ib), v);
    });
  });
  return { name, buffers: [...ops.map((o) => o.buffer), out], shared: [tile], workgroupSize: [s.wg, 1, 1], grid: [ceilDiv(positions, T), w.batch, 1], body: b.stmts };
}
