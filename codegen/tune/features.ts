import { CASCADED_DEFAULT_CHUNK, cascadedVec4Fits } from '../lower/cascaded-attention.js';
import type { Schedule } from '../schedule/types.js';
import { exprOps } from '../workload/expr.js';
import type { Workload } from '../workload/types.js';
import { launchShape } from './space.js';

/*
 * Numeric features of (workload, schedule) for the cost model. Sizes enter as log2 (time scales
 * multiplicatively with them); derived quantities say what the knobs do: tile sizes, invocations
 * per workgroup, workgroups launched, the share of the launch that is edge padding, loads per
 * multiply-add. One fixed-length vector per workload class; the model is trained per class.
 */

const lg = (x: number) => Math.log2(Math.max(1, x));
const product = (xs: readonly number[]) => xs.reduce((a, b) => a * b, 1);

export function features(w: Workload, s: Schedule): number[] {
  const { workgroupSize, grid, workgroupBytes } = launchShape(w, s);
  const invocations = workgroupSize[0] * workgroupSize[1] * workgroupSize[2];
  const groups = grid[0] * grid[1] * grid[2];
  const common = [lg(invocations), lg(groups), lg(groups * invocations), lg(workgroupBytes + 1)];
  switch (w.kind) {
    case 'matmul': {
      if (s.kind !== 'matmul') break;
      const tileM = s.wgY * s.tm;
      const tileN = s.wgX * s.tn;
      const padded = Math.ceil(w.m / tileM) * tileM * Math.ceil(w.n / tileN) * tileN;
      return [
        ...common,
        lg(w.m),
        lg(w.n),
        lg(w.k),
        lg(product(w.batch)),
        w.prologue ? 1 : 0,
        exprOps(w.epilogue),
        lg(s.wgX),
        lg(s.wgY),
        lg(s.tm),
        lg(s.tn),
        s.vec === 4 ? 1 : 0,
        lg(s.kUnroll),
        s.interleave ? 1 : 0,
        lg(s.kSplit ?? 1),
        s.aVec === 4 ? 1 : 0,
        lg(tileM),
        lg(tileN),
        lg(s.tm * s.tn),
        (w.m * w.n) / padded,
        // Operand loads per multiply-add of one k: tm A loads (a quarter with aVec 4) and tn/vec vectors of B for tm·tn products.
        (s.tm / (s.aVec ?? 1) + s.tn / s.vec) / (s.tm * s.tn),
      ];
    }
    case 'elementwise': {
      if (s.kind !== 'elementwise') break;
      return [...common, lg(product(w.shape)), w.operands.length, exprOps(w.expr), lg(s.wg), s.vec === 4 ? 1 : 0];
    }
    case 'row': {
      if (s.kind !== 'row') break;
      const tpr = Math.min(s.threadsPerRow, s.wg);
      return [...common, lg(w.rows), lg(w.cols), w.op === 'softmax' ? 1 : 0, lg(s.wg), lg(tpr), lg(s.wg / tpr), w.cols / (Math.ceil(w.cols / tpr) * tpr)];
    }
    case 'reduce': {
      if (s.kind !== 'reduce') break;
      const n = product(w.shape);
      return [...common, lg(n), lg(product(w.reduceShape)), exprOps(w.body), lg(s.wg), n / (Math.ceil(n / s.wg) * s.wg)];
    }
    case 'attention': {
      if (s.kind !== 'attention') break;
      return [
        ...common,
        lg(w.tq),
        lg(w.tk),
        lg(w.d),
        lg(w.dv),
        lg(product(w.batch)),
        w.bias === null ? 0 : 1,
        lg(s.rows),
        lg(s.kvTile),
        lg(s.rowsPerThread ?? 1),
        w.tq / (Math.ceil(w.tq / (s.rows * (s.rowsPerThread ?? 1))) * s.rows * (s.rowsPerThread ?? 1)),
        w.tk % s.kvTile === 0 ? 1 : 0,
        w.clsStats ? 1 : 0,
      ];
    }
    case 'top_k': {
      if (s.kind !== 'top_k') break;
      return [...common, lg(product(w.rows)), lg(w.n), lg(w.k), lg(s.wg), s.staged ? 1 : 0];
    }
    case 'gather':
    case 'scatter_add': {
      if (s.kind !== w.kind) break;
      const n = product(w.shape);
      return [...common, lg(n), w.operands.length, exprOps(w.epilogue), lg(s.wg), n / (Math.ceil(n / s.wg) * s.wg)];
    }
    // The structural kernels size their own launches: the launch shape and the knobs say it all.
    case 'conv_transpose':
      if (s.kind !== w.kind) break;
      return [...common, lg(s.wg)];
    case 'cascaded_attention':
      if (s.kind !== w.kind) break;
      return [...common, lg(s.wg), lg(s.chunk ?? CASCADED_DEFAULT_CHUNK), (w.height * w.width) / s.wg, s.vec === 1 || !cascadedVec4Fits(w) ? 1 : 4];
    case 'dw_pointwise':
      if (s.kind !== 'dw_pointwise') break;
      return [...common, lg(s.wg), lg(s.tokens)];
  }
  throw new Error(`features: schedule of kind ${s.kind} for a ${w.kind} workload`);
}
