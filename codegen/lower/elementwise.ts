import { BodyBuilder } from '../kernel-ir/body.js';
import { add, div, lane, lt, mul, u32 } from '../kernel-ir/build.js';
import type { Kernel } from '../kernel-ir/types.js';
import { delinearize, viewAccess } from '../plan/view.js';
import type { ElementwiseSchedule } from '../schedule/types.js';
import type { ElementwiseWorkload } from '../workload/types.js';
import { ceilDiv, flatInvocation, grid1d, outputBuffer, product, storeOffset } from './common.js';
import { bindOperand, loadScalar, loadVec4 } from './operands.js';
import { lowerPointwise } from './pointwise.js';

/** One invocation per element (or per 4 consecutive elements of the last axis). */
export function lowerElementwise(w: ElementwiseWorkload, s: ElementwiseSchedule, name: string): Kernel {
  const last = w.shape[w.shape.length - 1] ?? 1;
  const vec = s.vec === 4 && w.shape.length > 0 && last % 4 === 0 ? 4 : 1;
  const total = product(w.shape);
  const items = ceilDiv(total, vec);
  const grid = grid1d(ceilDiv(items, s.wg));
  const ops = w.operands.map((op, i) => bindOperand(`in${i}`, op, vec === 4));
  const out = outputBuffer(w.output.view, vec === 4);
  const body = new BodyBuilder();
  const t = body.let('t', flatInvocation(s.wg, grid[0]));
  body.if(lt(t, u32(items)), (b) => {
    const e = b.let('e', mul(t, u32(vec)));
    const idx = w.shape.length === 0 ? [] : delinearize(e, w.shape).map((x, a) => b.let(`i${a}`, x));
    const value = b.let('v', lowerPointwise(w.expr, { acc: () => { throw new Error('elementwise: no accumulator'); }, input: (i) => (vec === 4 ? loadVec4(ops[i]!, idx, b) : loadScalar(ops[i]!, idx, b)) }, vec));
    const off = storeOffset(w.output.view, idx, b);
    if (out.vec === 4) b.store(out.name, div(off, u32(4)), value);
    else if (vec === 4) [0, 1, 2, 3].forEach((l) => b.store(out.name, storeOffset(w.output.view, idx.map((x, a) => (a === idx.length - 1 ? add(x, u32(l)) : x)), b), lane(value, l)));
    else b.store(out.name, off, value);
  });
  return { name, buffers: [...ops.map((o) => o.buffer), out], shared: [], workgroupSize: [s.wg, 1, 1], grid, body: body.stmts };
}
