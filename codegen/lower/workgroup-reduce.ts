import type { BodyBuilder } from '../kernel-ir/body.js';
import { add, call, f32, mul, sharedLoad, u32 } from '../kernel-ir/build.js';
import type { KExpr, KShared } from '../kernel-ir/types.js';

/**
 * Combines one value per lane across `lanes` consecutive invocations through workgroup memory.
 * Every invocation of the workgroup must call it (it contains barriers). Each lane stores its
 * value, then every lane folds the whole segment itself: two barriers in all, instead of a tree's
 * log2(lanes) — barriers are the expensive part on CPU adapters, and Mesa llvmpipe was seen to
 * return stale workgroup memory in tree reductions wider than its 8-wide SIMD groups.
 */
export function segmentReduce(
  b: BodyBuilder,
  mem: KShared,
  segment: KExpr,
  laneId: KExpr,
  lanes: number,
  value: KExpr,
  combine: 'sum' | 'max',
): KExpr {
  if (lanes === 1) return value;
  const base = b.let('seg_base', mul(segment, u32(lanes)));
  b.sharedStore(mem.name, add(base, laneId), value);
  b.barrier();
  const total = b.var('seg_total', 'f32', f32(combine === 'sum' ? 0 : -Infinity));
  b.for('seg_j', u32(0), u32(lanes), 1, (j, body) => {
    const x = sharedLoad(mem, add(base, j));
    body.assign(total, combine === 'sum' ? add(total, x) : call('max', total, x));
  });
  // Nobody may overwrite the segment before every lane has read it.
  b.barrier();
  return total;
}
