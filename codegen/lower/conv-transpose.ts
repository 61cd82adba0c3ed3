import { BodyBuilder } from '../kernel-ir/body.js';
import { add, and, call, div, eq, f32, ge, lt, mod, mul, sub, u32 } from '../kernel-ir/build.js';
import type { KExpr, Kernel } from '../kernel-ir/types.js';
import { delinearize } from '../plan/view.js';
import type { ConvTransposeSchedule } from '../schedule/structural.js';
import type { ConvTransposeWorkload } from '../workload/structural.js';
import { ceilDiv, flatInvocation, grid1d, outputBuffer, product, storeOffset } from './common.js';
import { bindOperand, loadScalar } from './operands.js';
import { lowerPointwise } from './pointwise.js';

/**
 * Transposed convolution as a gather: output element (b, co, oy, ox) sums x[b, ci, iy, ix] ·
 * w[ci, co, ky, kx] over the taps with iy·s + ky·d = oy + pad. With dilation 1 only the taps
 * ky ≡ Y (mod s) can contribute, so the loop visits ceil(K/s) taps per axis instead of K.
 */
export function lowerConvTranspose(w: ConvTransposeWorkload, s: ConvTransposeSchedule, name: string): Kernel {
  const [oh, ow] = w.outSize;
  const space = [w.batch, w.cout, oh, ow];
  const total = product(space);
  const grid = grid1d(ceilDiv(total, s.wg));
  const ops = w.operands.map((op, i) => bindOperand(`in${i}`, op, false));
  const out = outputBuffer(w.output.view, false);
  const cinG = w.cin / w.group;
  const coutG = w.cout / w.group;
  const b = new BodyBuilder();
  const t = b.let('t', flatInvocation(s.wg, grid[0]));
  b.if(lt(t, u32(total)), (body) => {
    const idx = delinearize(t, space).map((x, a) => body.let(`o${a}`, x));
    const [bi, co, y, x] = idx as [KExpr, KExpr, KExpr, KExpr];
    const g = w.group === 1 ? u32(0) : body.let('g', div(co, u32(coutG)));
    const col = w.group === 1 ? co : body.let('col', mod(co, u32(coutG)));
    const Y = body.let('Y', add(y, u32(w.padBegin[0])));
    const X = body.let('X', add(x, u32(w.padBegin[1])));
    const acc = body.var('acc', 'f32', f32(0));
    const axis = (a: 0 | 1, full: KExpr, bb: BodyBuilder) => tapsAlong(w, a, full, bb);
    const ys = axis(0, Y, body);
    const xs = axis(1, X, body);
    for (const ty of ys)
      for (const tx of xs) {
        body.if(and(ty.valid, tx.valid), (inner) => {
          inner.for('ci', u32(0), u32(cinG), 1, (ci, loop) => {
            const c = w.group === 1 ? ci : add(mul(g, u32(cinG)), ci);
            const xv = loadScalar(ops[w.x]!, [bi, c, ty.input, tx.input], loop);
            const wv = loadScalar(ops[w.w]!, [c, col, ty.tap, tx.tap], loop);
            loop.assign(acc, call('fma', xv, wv, acc));
          });
        });
      }
    const v = lowerPointwise(w.epilogue, { acc: () => acc, input: (i) => loadScalar(ops[i]!, idx, body) }, 1);
    body.store(out.name, storeOffset(w.output.view, idx, body), v);
  });
  return { name, buffers: [...ops.map((o) => o.buffer), out], shared: [], workgroupSize: [s.wg, 1, 1], grid, body: b.stmts };
}

interface Tap {
  /** Kernel index along the axis. */
  readonly tap: KExpr;
  /** Input index along the axis (meaningful where `valid`). */
  readonly input: KExpr;
  readonly valid: KExpr;
}

/** The kernel taps along one axis that can reach full-output position `full`. */
function tapsAlong(w: ConvTransposeWorkload, a: 0 | 1, full: KExpr, b: BodyBuilder): Tap[] {
  const [k, s, d, n] = [w.kernel[a], w.strides[a], w.dilations[a], w.inSize[a]];
  const name = a === 0 ? 'y' : 'x';
  const taps: Tap[] = [];
  if (d === 1) {
    // tap = r + i·s with r = full mod s; then input = full div s − i.
    const r = s === 1 ? u32(0) : b.let(`r${name}`, mod(full, u32(s)));
    const q = s === 1 ? full : b.let(`q${name}`, div(full, u32(s)));
    for (let i = 0; i * s < k; i++) {
      const tap = b.let(`k${name}`, add(r, u32(i * s)));
      const input = sub(q, u32(i));
      const inside = and(ge(q, u32(i)), lt(input, u32(n)));
      taps.push({ tap, input: b.let(`i${name}`, input), valid: (i + 1) * s <= k ? inside : and(lt(tap, u32(k)), inside) });
    }
    return taps;
  }
  for (let kk = 0; kk < k; kk++) {
    const off = kk * d;
    const shifted = b.let(`s${name}`, sub(full, u32(off)));
    const input = b.let(`i${name}`, div(shifted, u32(s)));
    const onGrid = s === 1 ? ge(full, u32(off)) : and(ge(full, u32(off)), eq(mod(shifted, u32(s)), u32(0)));
    taps.push({ tap: u32(kk), input, valid: and(onGrid, lt(input, u32(n))) });
  }
  return taps;
}
