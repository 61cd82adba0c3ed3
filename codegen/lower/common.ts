import { add, builtin, mul, u32 } from '../kernel-ir/build.js';
import type { BodyBuilder } from '../kernel-ir/body.js';
import type { KBuffer, KExpr } from '../kernel-ir/types.js';
import { delinearize, viewAccess, viewExtent, type View } from '../plan/view.js';
import { vec4Readable } from './operands.js';

export function ceilDiv(a: number, b: number): number {
  return Math.ceil(a / b);
}

export function product(xs: readonly number[]): number {
  return xs.reduce((a, b) => a * b, 1);
}

/**
 * Output buffer binding: vec4 when the view allows aligned vector stores and `vec4` is wanted.
 * `alsoStored` are further views the kernel stores into the same buffer (extra results).
 */
export function outputBuffer(view: View, wantVec4: boolean, alsoStored: readonly View[] = []): KBuffer {
  const vec4 = wantVec4 && vec4Readable(view);
  const extent = Math.max(viewExtent(view), ...alsoStored.map(viewExtent));
  return { name: 'out0', access: 'read_write', elem: 'f32', vec: vec4 ? 4 : 1, length: vec4 ? Math.ceil(extent / 4) : extent };
}

/** Batch multi-index from workgroup id z (empty batch → no indices). */
export function batchIndex(b: BodyBuilder, batch: readonly number[]): KExpr[] {
  if (batch.length === 0) return [];
  const z = builtin('workgroup_id', 2);
  return delinearize(z, batch).map((x, i) => b.let(`bi${i}`, x));
}

/** Flat id of a 1-D launch over up to 65535 × 65535 workgroups of `wg` invocations. */
export function flatInvocation(wg: number, groupsX: number): KExpr {
  const group = add(builtin('workgroup_id', 0), mul(builtin('workgroup_id', 1), u32(groupsX)));
  return add(mul(group, u32(wg)), builtin('local_id', 0));
}

/** Splits a 1-D workgroup count across grid x/y to respect the 65535-per-dimension limit. */
export function grid1d(groups: number, maxPerDim = 65535): [number, number, number] {
  if (groups <= maxPerDim) return [Math.max(1, groups), 1, 1];
  const y = ceilDiv(groups, maxPerDim);
  return [ceilDiv(groups, y), y, 1];
}

/** Buffer offset of an output element, naming intermediate linear indices in `b`. */
export function storeOffset(view: View, idx: readonly KExpr[], b: BodyBuilder): KExpr {
  return viewAccess(view, idx, (e) => b.let('lin', e)).offset;
}
