import { BodyBuilder } from '../kernel-ir/body.js';
import { add, call, div, f32, lt, u32 } from '../kernel-ir/build.js';
import type { KExpr, Kernel } from '../kernel-ir/types.js';
import { delinearize, viewAccess } from '../plan/view.js';
import type { ReduceSchedule } from '../schedule/types.js';
import type { ReduceWorkload } from '../workload/types.js';
import { ceilDiv, flatInvocation, grid1d, outputBuffer, product, storeOffset } from './common.js';
import { bindOperand, loadScalar } from './operands.js';
import { lowerPointwise } from './pointwise.js';

/**
 * One invocation per output element, reducing serially over `reduceShape` with nested loops
 * (innermost axis unrolled when short). Depthwise convolutions, pools and small reductions.
 */
export function lowerReduce(w: ReduceWorkload, s: ReduceSchedule, name: string): Kernel {
  const total = product(w.shape);
  const grid = grid1d(ceilDiv(total, s.wg));
  const ops = w.operands.map((op, i) => bindOperand(`in${i}`, op, false));
  const out = outputBuffer(w.output.view, false);
  const b = new BodyBuilder();
  const t = b.let('t', flatInvocation(s.wg, grid[0]));
  b.if(lt(t, u32(total)), (body) => {
    const idx = w.shape.length === 0 ? [] : delinearize(t, w.shape).map((x, a) => body.let(`o${a}`, x));
    const acc = body.var('acc', 'f32', f32(w.combine === 'max' ? -Infinity : 0));
    const nest = (bb: BodyBuilder, axis: number, ridx: KExpr[]): void => {
      if (axis === w.reduceShape.length) {
        const v = lowerPointwise(w.body, { acc: () => acc, input: (i) => loadScalar(ops[i]!, [...idx, ...ridx], bb) }, 1);
        bb.assign(acc, w.combine === 'max' ? call('max', acc, v) : add(acc, v));
        return;
      }
      const n = w.reduceShape[axis]!;
      bb.for(`r${axis}`, u32(0), u32(n), 1, (r, inner) => nest(inner, axis + 1, [...ridx, r]), axis === w.reduceShape.length - 1 && n <= 16);
    };
    nest(body, 0, []);
    const reduced: KExpr = w.combine === 'mean' ? div(acc, f32(product(w.reduceShape))) : acc;
    const v = lowerPointwise(w.epilogue, { acc: () => reduced, input: (i) => loadScalar(ops[i]!, idx, body) }, 1);
    body.store(out.name, storeOffset(w.output.view, idx, body), v);
  });
  return { name, buffers: [...ops.map((o) => o.buffer), out], shared: [], workgroupSize: [s.wg, 1, 1], grid, body: b.stmts };
}
