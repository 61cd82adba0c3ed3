import { BodyBuilder } from '../kernel-ir/body.js';
import { add, eq, lt, u32 } from '../kernel-ir/build.js';
import type { Kernel } from '../kernel-ir/types.js';
import { delinearize } from '../plan/view.js';
import type { ScatterAddSchedule } from '../schedule/types.js';
import type { ScatterAddWorkload } from '../workload/types.js';
import { ceilDiv, flatInvocation, grid1d, outputBuffer, product, storeOffset } from './common.js';
import { axisPosition } from './gather.js';
import { bindOperand, loadScalar } from './operands.js';
import { lowerPointwise } from './pointwise.js';

/**
 * Scatter-add as a gather over the updates, so no float atomics are needed (WGSL has none): each
 * invocation owns one output element, walks the updates along the axis that share its other
 * coordinates and adds those whose index names its position, in update order (the reference
 * interpreter's order). Cost per element: the update count along the axis (r merged tokens).
 */
export function lowerScatterAdd(w: ScatterAddWorkload, s: ScatterAddSchedule, name: string): Kernel {
  const total = product(w.shape);
  const grid = grid1d(ceilDiv(total, s.wg));
  const ops = w.operands.map((op, i) => bindOperand(`in${i}`, op, false));
  const out = outputBuffer(w.output.view, false);
  const d = w.shape[w.axis]!;
  const b = new BodyBuilder();
  const t = b.let('t', flatInvocation(s.wg, grid[0]));
  b.if(lt(t, u32(total)), (body) => {
    const idx = w.shape.length === 0 ? [] : delinearize(t, w.shape).map((e, a) => body.let(`i${a}`, e));
    const acc = body.var('acc', 'f32', loadScalar(ops[w.data]!, idx, body));
    body.for('u', u32(0), u32(w.updateShape[w.axis]!), 1, (u, inner) => {
      const at = idx.map((x, a) => (a === w.axis ? u : x));
      const j = inner.let('j', axisPosition(loadScalar(ops[w.indices]!, at, inner), d));
      inner.if(eq(j, idx[w.axis]!), (hit) => hit.assign(acc, add(acc, loadScalar(ops[w.updates]!, at, hit))));
    });
    const v = lowerPointwise(w.epilogue, { acc: () => acc, input: (i) => loadScalar(ops[i]!, idx, body) }, 1);
    body.store(out.name, storeOffset(w.output.view, idx, body), v);
  });
  return { name, buffers: [...ops.map((o) => o.buffer), out], shared: [], workgroupSize: [s.wg, 1, 1], grid, body: b.stmts };
}
