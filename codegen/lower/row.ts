import { BodyBuilder } from '../kernel-ir/body.js';
import { add, builtin, call, div, f32, lt, min, mod, mul, sub, u32 } from '../kernel-ir/build.js';
import type { KExpr, Kernel, KShared } from '../kernel-ir/types.js';
import { viewAccess } from '../plan/view.js';
import type { RowSchedule } from '../schedule/types.js';
import type { RowWorkload } from '../workload/types.js';
import { ceilDiv, grid1d, outputBuffer, storeOffset } from './common.js';
import { bindOperand, loadScalar } from './operands.js';
import { lowerPointwise } from './pointwise.js';
import { segmentReduce } from './workgroup-reduce.js';

/**
 * LayerNorm / softmax over rows of a [rows, cols] view. `threadsPerRow` invocations share a row
 * (strided over its columns) and combine partial results in workgroup memory; a workgroup holds
 * wg / threadsPerRow rows. Statistics use two passes (mean, then centred variance).
 */
export function lowerRow(w: RowWorkload, s: RowSchedule, name: string): Kernel {
  const tpr = Math.min(s.threadsPerRow, s.wg);
  const rowsPerGroup = s.wg / tpr;
  const groups = ceilDiv(w.rows, rowsPerGroup);
  const grid = grid1d(groups);
  const ops = w.operands.map((op, i) => bindOperand(`in${i}`, op, false));
  const out = outputBuffer(w.output.view, false);
  const red: KShared = { name: 'red', elem: 'f32', vec: 1, length: s.wg };
  const b = new BodyBuilder();
  const lid = builtin('local_id', 0);
  const seg = b.let('seg', tpr === 1 ? lid : div(lid, u32(tpr)));
  const laneId = b.let('lane', tpr === 1 ? u32(0) : mod(lid, u32(tpr)));
  const group = add(builtin('workgroup_id', 0), mul(builtin('workgroup_id', 1), u32(grid[0])));
  const row = b.let('row', add(mul(group, u32(rowsPerGroup)), seg));
  const rowc = b.let('rowc', min(row, u32(w.rows - 1)));
  const x = (c: KExpr, bb: BodyBuilder) => loadScalar(ops[w.x]!, [rowc, c], bb);
  const loopCols = (label: string, init: KExpr, f: (acc: KExpr, c: KExpr, body: BodyBuilder) => KExpr): KExpr => {
    const acc = b.var(label, 'f32', init);
    b.for(`${label}_c`, laneId, u32(w.cols), tpr, (c, body) => body.assign(acc, f(acc, c, body)));
    return acc;
  };
  let normalized: (c: KExpr, bb: BodyBuilder) => KExpr;
  if (w.op === 'softmax') {
    const pmax = loopCols('pmax', f32(-Infinity), (acc, c, bb) => call('max', acc, x(c, bb)));
    const rmax = b.let('rmax', segmentReduce(b, red, seg, laneId, tpr, pmax, 'max'));
    const psum = loopCols('psum', f32(0), (acc, c, bb) => add(acc, call('exp', sub(x(c, bb), rmax))));
    const rsum = b.let('rinv', div(f32(1), segmentReduce(b, red, seg, laneId, tpr, psum, 'sum')));
    normalized = (c, bb) => mul(call('exp', sub(x(c, bb), rmax)), rsum);
  } else {
    const psum = loopCols('psum', f32(0), (acc, c, bb) => add(acc, x(c, bb)));
    const mean = b.let('mean', div(segmentReduce(b, red, seg, laneId, tpr, psum, 'sum'), f32(w.cols)));
    const pvar = loopCols('pvar', f32(0), (acc, c, bb) => {
      const d = sub(x(c, bb), mean);
      return add(acc, mul(d, d));
    });
    const rstd = b.let('rstd', call('inverse_sqrt', add(div(segmentReduce(b, red, seg, laneId, tpr, pvar, 'sum'), f32(w.cols)), f32(w.epsilon))));
    normalized = (c, bb) => {
      let y = mul(sub(x(c, bb), mean), rstd);
      if (w.gamma !== null) y = mul(y, loadScalar(ops[w.gamma]!, [rowc, c], bb));
      if (w.beta !== null) y = add(y, loadScalar(ops[w.beta]!, [rowc, c], bb));
      return y;
    };
  }
  b.if(lt(row, u32(w.rows)), (t) =>
    t.for('wc', laneId, u32(w.cols), tpr, (c, body) => {
      const idx = [row, c];
      const v = lowerPointwise(w.epilogue, { acc: () => normalized(c, body), input: (i) => loadScalar(ops[i]!, idx, body) }, 1);
      body.store(out.name, storeOffset(w.output.view, idx, body), v);
    }),
  );
  return { name, buffers: [...ops.map((o) => o.buffer), out], shared: tpr > 1 ? [red] : [], workgroupSize: [s.wg, 1, 1], grid, body: b.stmts };
}
