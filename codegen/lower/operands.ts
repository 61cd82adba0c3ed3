import { add, call, cast, div, f32, load, splat, u32, vec } from '../kernel-ir/build.js';
import { type KBuffer, type KExpr, vecType } from '../kernel-ir/types.js';
import type { BodyBuilder } from '../kernel-ir/body.js';
import { viewAccess, type View, viewExtent } from '../plan/view.js';
import type { Operand } from '../workload/types.js';

/**
 * Can `view` be read as aligned vec4s along its last axis? Requires one strided layer without
 * padding, unit stride on the last axis, and every other stride, the offset and the last extent
 * multiples of 4 — then element i..i+3 is vec4 number offset/4.
 */
export function vec4Readable(view: View): boolean {
  if (view.layers.length !== 1) return false;
  const l = view.layers[0]!;
  if (l.valid) return false;
  const last = l.shape.length - 1;
  if (last < 0 || l.strides[last] !== 1 || l.shape[last]! % 4 !== 0) return false;
  return l.offset % 4 === 0 && l.strides.every((s, a) => a === last || s % 4 === 0);
}

/** Is the last axis broadcast (stride 0)? Then one scalar load serves all lanes. */
function lastAxisBroadcast(view: View): boolean {
  if (view.layers.length !== 1) return false;
  const l = view.layers[0]!;
  const last = l.shape.length - 1;
  return last >= 0 && (l.shape[last] === 1 || l.strides[last] === 0);
}

/** An operand bound to a kernel buffer, with the width it is read at. */
export interface BoundOperand {
  readonly buffer: KBuffer;
  readonly view: View;
  readonly dtype: Operand['dtype'];
  readonly pad?: number;
}

export function bindOperand(name: string, op: Operand, wantVec4: boolean): BoundOperand {
  const vec4 = wantVec4 && op.dtype === 'f32' && vec4Readable(op.view);
  const extent = viewExtent(op.view);
  return {
    buffer: { name, access: 'read', elem: op.dtype, vec: vec4 ? 4 : 1, length: vec4 ? Math.ceil(extent / 4) : extent },
    view: op.view,
    dtype: op.dtype,
    ...(op.pad !== undefined ? { pad: op.pad } : {}),
  };
}

/** One element as f32 (zero where the view is padding). */
export function loadScalar(b: BoundOperand, idx: readonly KExpr[], body?: BodyBuilder): KExpr {
  const acc = viewAccess(b.view, idx, body && ((e) => body.let('lin', e)));
  if (b.buffer.vec === 4) throw new Error(`internal: scalar read of vec4-bound operand ${b.buffer.name}`);
  let x = load(b.buffer, acc.offset);
  if (b.dtype !== 'f32') x = cast('f32', x);
  return acc.valid ? call('select', acc.valid, x, f32(b.pad ?? 0)) : x;
}

/** Elements idx[last] .. idx[last]+3 as vec4<f32>; idx[last] must be a multiple of 4. */
export function loadVec4(b: BoundOperand, idx: readonly KExpr[], body?: BodyBuilder): KExpr {
  if (b.buffer.vec === 4) return load(b.buffer, div(viewAccess(b.view, idx).offset, u32(4)));
  if (lastAxisBroadcast(b.view)) return splat(vecType('f32', 4), loadScalar(b, idx, body));
  const last = idx.length - 1;
  return vec(
    vecType('f32', 4),
    [0, 1, 2, 3].map((l) => loadScalar(b, idx.map((x, a) => (a === last ? add(x, u32(l)) : x)), body)),
  );
}
