import { BodyBuilder } from '../kernel-ir/body.js';
import { add, call, cast, f32, lt, u32 } from '../kernel-ir/build.js';
import type { KExpr, Kernel } from '../kernel-ir/types.js';
import { delinearize, viewShape } from '../plan/view.js';
import type { GatherSchedule } from '../schedule/types.js';
import type { GatherWorkload } from '../workload/types.js';
import { ceilDiv, flatInvocation, grid1d, outputBuffer, product, storeOffset } from './common.js';
import { bindOperand, loadScalar } from './operands.js';
import { lowerPointwise } from './pointwise.js';

/**
 * Reads an index (stored as a float, like every GPU index tensor) as a position along an axis of
 * size d: negative from the end, clamped into the axis so that a bad index cannot read outside
 * the buffer (the reference interpreter reports it instead).
 */
export function axisPosition(index: KExpr, d: number): KExpr {
  const wrapped = call('select', lt(index, f32(0)), add(index, f32(d)), index);
  return cast('u32', call('clamp', wrapped, f32(0), f32(d - 1)));
}

/** One invocation per output element: load the index, read x there, apply the epilogue. */
export function lowerGather(w: GatherWorkload, s: GatherSchedule, name: string): Kernel {
  const total = product(w.shape);
  const grid = grid1d(ceilDiv(total, s.wg));
  const ops = w.operands.map((op, i) => bindOperand(`in${i}`, op, false));
  const out = outputBuffer(w.output.view, false);
  const xShape = viewShape(w.operands[w.x]!.view);
  const axis = w.xAxes.indexOf(-1);
  const b = new BodyBuilder();
  const t = b.let('t', flatInvocation(s.wg, grid[0]));
  b.if(lt(t, u32(total)), (body) => {
    const idx = w.shape.length === 0 ? [] : delinearize(t, w.shape).map((e, a) => body.let(`i${a}`, e));
    const j = body.let('j', axisPosition(loadScalar(ops[w.indices]!, idx, body), xShape[axis]!));
    const picked = body.let('picked', loadScalar(ops[w.x]!, w.xAxes.map((a) => (a < 0 ? j : idx[a]!)), body));
    const v = lowerPointwise(w.epilogue, { acc: () => picked, input: (i) => loadScalar(ops[i]!, idx, body) }, 1);
    body.store(out.name, storeOffset(w.output.view, idx, body), v);
  });
  return { name, buffers: [...ops.map((o) => o.buffer), out], shared: [], workgroupSize: [s.wg, 1, 1], grid, body: b.stmts };
}
