import { add, and, call, div, ge, lt, mod, mul, u32 } from '../kernel-ir/build.js';
import type { KExpr } from '../kernel-ir/types.js';
import { stridesOf } from '../../ir/tensor.js';

/**
 * One strided layer of a view: logical index i maps to `offset + Σ i[a] * strides[a]`, a linear
 * index into the layer below (or into the buffer for the bottom layer). `valid[a]` = [lo, hi)
 * marks padding: outside it the element reads as zero.
 */
export interface ViewLayer {
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
  readonly valid?: readonly (readonly [number, number])[];
}

/**
 * How a logical tensor sits in a buffer: a stack of strided layers (top = logical). Reshape,
 * transpose, slice, expand, pad and constant-index gather are view changes, never kernels; a
 * reshape that a single strided layer cannot express pushes a new layer, read with div/mod.
 * Plain JSON data, so workloads containing views hash and serialise canonically.
 */
export interface View {
  readonly layers: readonly ViewLayer[];
}

/** Row-major strides of a shape (the tensor layout of ir/tensor.ts). */
export const contiguousStrides = stridesOf;

export function contiguousView(shape: readonly number[], offset = 0): View {
  return { layers: [{ shape: [...shape], strides: contiguousStrides(shape), offset }] };
}

export function viewShape(v: View): readonly number[] {
  return v.layers[v.layers.length - 1]!.shape;
}

function top(v: View): ViewLayer {
  return v.layers[v.layers.length - 1]!;
}

function replaceTop(v: View, layer: ViewLayer): View {
  return { layers: [...v.layers.slice(0, -1), layer] };
}

/** Pushes a layer expressed over the current logical shape's contiguous index. */
function pushLayer(v: View, layer: ViewLayer): View {
  return { layers: [...v.layers, layer] };
}

/** Is the view a plain row-major layout of its shape starting at `offset` 0? */
export function isContiguous(v: View): boolean {
  if (v.layers.length !== 1) return false;
  const t = top(v);
  if (t.offset !== 0 || t.valid) return false;
  const c = contiguousStrides(t.shape);
  return t.shape.every((d, i) => d === 1 || t.strides[i] === c[i]);
}

export function permute(v: View, perm: readonly number[]): View {
  const t = top(v);
  return replaceTop(v, {
    shape: perm.map((p) => t.shape[p]!),
    strides: perm.map((p) => t.strides[p]!),
    offset: t.offset,
    ...(t.valid ? { valid: perm.map((p) => t.valid![p]!) } : {}),
  });
}

/** Reshape: merged into the top layer when its strides allow, else a new layer. */
export function reshape(v: View, shape: readonly number[]): View {
  const t = top(v);
  if (!t.valid) {
    const strides = reshapeStrides(t.shape, t.strides, shape);
    if (strides) return replaceTop(v, { shape: [...shape], strides, offset: t.offset });
  }
  return pushLayer(v, { shape: [...shape], strides: contiguousStrides(shape), offset: 0 });
}

/**
 * Strides for viewing a strided layout under a new shape without copying, or undefined.
 * Groups old and new dims into runs of equal product; each old run must be internally contiguous.
 */
function reshapeStrides(oldShape: readonly number[], oldStrides: readonly number[], newShape: readonly number[]): number[] | undefined {
  const os: number[] = [];
  const ost: number[] = [];
  oldShape.forEach((d, i) => {
    if (d !== 1) {
      os.push(d);
      ost.push(oldStrides[i]!);
    }
  });
  const out = new Array<number>(newShape.length).fill(0);
  let oi = 0;
  let ni = 0;
  while (ni < newShape.length) {
    if (newShape[ni] === 1) {
      out[ni] = 0;
      ni++;
      continue;
    }
    if (oi >= os.length) return undefined;
    // Collect an old run and a new run with equal products.
    let op = os[oi]!;
    let np = newShape[ni]!;
    const oStart = oi;
    const nStart = ni;
    oi++;
    ni++;
    while (op !== np) {
      if (op < np) {
        if (oi >= os.length) return undefined;
        op *= os[oi++]!;
      } else {
        while (ni < newShape.length && newShape[ni] === 1) ni++;
        if (ni >= newShape.length) return undefined;
        np *= newShape[ni++]!;
      }
    }
    for (let k = oStart; k < oi - 1; k++) if (ost[k] !== ost[k + 1]! * os[k + 1]!) return undefined;
    // Assign strides to the new run from the innermost old stride outwards.
    let stride = ost[oi - 1]!;
    for (let k = ni - 1; k >= nStart; k--) {
      out[k] = newShape[k] === 1 ? 0 : stride;
      stride *= newShape[k]!;
    }
  }
  if (oi !== os.length) return undefined;
  return out;
}

/** x[..., start : start + count*step : step, ...] on one axis. */
export function slice(v: View, axis: number, start: number, count: number, step: number): View {
  const t = top(v);
  if (t.valid) {
    const c = contiguousStrides(t.shape);
    return pushLayer(v, {
      shape: t.shape.map((d, i) => (i === axis ? count : d)),
      strides: c.map((s, i) => (i === axis ? s * step : s)),
      offset: start * c[axis]!,
    });
  }
  return replaceTop(v, {
    shape: t.shape.map((d, i) => (i === axis ? count : d)),
    strides: t.strides.map((s, i) => (i === axis ? s * step : s)),
    offset: t.offset + start * t.strides[axis]!,
  });
}

/** Removes `axis` by fixing its index (gather with a constant scalar index). */
export function selectIndex(v: View, axis: number, index: number): View {
  const sliced = slice(v, axis, index, 1, 1);
  const shape = viewShape(sliced).filter((_, i) => i !== axis);
  return reshape(sliced, shape);
}

/** NumPy broadcast to `shape` (rank may grow on the left): broadcast axes get stride 0. */
export function expand(v: View, shape: readonly number[]): View {
  const t = top(v);
  const lead = shape.length - t.shape.length;
  if (lead < 0) throw new Error(`view: cannot expand rank ${t.shape.length} to ${shape.length}`);
  const shapeIn = [...new Array<number>(lead).fill(1), ...t.shape];
  const stridesIn = [...new Array<number>(lead).fill(0), ...t.strides];
  const validIn = t.valid ? [...new Array<readonly [number, number]>(lead).fill([0, 1]), ...t.valid] : undefined;
  return replaceTop(v, {
    shape: [...shape],
    strides: shape.map((d, i) => (shapeIn[i] === 1 && d !== 1 ? 0 : stridesIn[i]!)),
    offset: t.offset,
    ...(validIn ? { valid: shape.map((d, i) => (shapeIn[i] === 1 && d !== 1 ? ([0, d] as const) : validIn[i]!)) } : {}),
  });
}

/** Zero padding: `begins[a]` elements before and `ends[a]` after on each axis. */
export function pad(v: View, begins: readonly number[], ends: readonly number[]): View {
  const t = top(v);
  const shape = t.shape.map((d, i) => d + begins[i]! + ends[i]!);
  const valid = t.shape.map((d, i): readonly [number, number] => {
    const prev = t.valid?.[i] ?? [0, d];
    return [prev[0] + begins[i]!, prev[1] + begins[i]!];
  });
  return replaceTop(v, {
    shape,
    strides: t.strides,
    offset: t.offset - begins.reduce((s, b, i) => s + b * t.strides[i]!, 0),
    valid,
  });
}

export interface ViewAccess {
  /** Element offset in the buffer (u32; meaningless where `valid` is false). */
  readonly offset: KExpr;
  /** Present when the view has padding: false where the element reads as zero. */
  readonly valid?: KExpr;
}

/**
 * Kernel-IR expressions for the buffer offset of logical index `idx` (u32 expressions).
 * Offsets use wrapping u32 arithmetic: padded layers may pass through "negative" values that
 * only occur where `valid` is false. `bind` names intermediate linear indices (a `let`) so that
 * multi-layer views stay linear in size.
 */
export function viewAccess(v: View, idx: readonly KExpr[], bind?: (e: KExpr) => KExpr): ViewAccess {
  let cur = idx;
  let valid: KExpr | undefined;
  for (let li = v.layers.length - 1; li >= 0; li--) {
    const layer = v.layers[li]!;
    if (cur.length !== layer.shape.length) throw new Error(`view: index rank ${cur.length} for shape [${layer.shape}]`);
    if (layer.valid) {
      layer.valid.forEach(([lo, hi], a) => {
        if (lo === 0 && hi === layer.shape[a]) return;
        const c = and(ge(cur[a]!, u32(lo)), lt(cur[a]!, u32(hi)));
        valid = valid ? and(valid, c) : c;
      });
    }
    let lin = u32(layer.offset);
    cur.forEach((x, a) => {
      if (layer.shape[a] !== 1 && layer.strides[a] !== 0) lin = add(lin, mul(x, u32(layer.strides[a]!)));
    });
    if (li === 0) return valid ? { offset: call('select', valid, lin, u32(0)), valid } : { offset: lin };
    // Each component of the next layer's index reuses `lin`: name it, or nested layers blow up.
    cur = delinearize(bind ? bind(lin) : lin, v.layers[li - 1]!.shape);
  }
  throw new Error('view: no layers');
}

/** Row-major multi-index of linear index `lin` in `shape`. */
export function delinearize(lin: KExpr, shape: readonly number[]): KExpr[] {
  const out = new Array<KExpr>(shape.length);
  const strides = contiguousStrides(shape);
  for (let a = 0; a < shape.length; a++) {
    if (shape[a] === 1) {
      out[a] = u32(0);
      continue;
    }
    let x = strides[a] === 1 ? lin : div(lin, u32(strides[a]!));
    // The outermost non-trivial axis needs no modulo when lin < total.
    // The outermost non-trivial axis needs no modulo: lin is below the layer's element count.
    if (!shape.slice(0, a).every((d) => d === 1)) x = mod(x, u32(shape[a]!));
    out[a] = x;
  }
  return out;
}

/** Highest buffer element a view can touch + 1 (for binding sizes and bounds checks). */
export function viewExtent(v: View): number {
  const bottom = v.layers[0]!;
  let hi = bottom.offset;
  bottom.shape.forEach((d, a) => {
    const last = bottom.valid ? bottom.valid[a]![1] - 1 : d - 1;
    if (last > 0 && bottom.strides[a]! > 0) hi += last * bottom.strides[a]!;
  });
  return hi + 1;
}

/**
 * Buffer offset of every logical element of a view, in row-major order (-1 where padded).
 * Compile-time counterpart of `viewAccess`, used to bake constant operands into new layouts.
 */
export function viewOffsets(v: View): Int32Array {
  const shape = viewShape(v);
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Int32Array(n);
  const idx = new Array<number>(shape.length).fill(0);
  for (let e = 0; e < n; e++) {
    let cur: number[] = idx;
    let offset = -1;
    for (let li = v.layers.length - 1; li >= 0; li--) {
      const l = v.layers[li]!;
      if (l.valid && cur.some((x, a) => x < l.valid![a]![0] || x >= l.valid![a]![1])) {
        offset = -1;
        break;
      }
      let lin = l.offset;
      cur.forEach((x, a) => (lin += x * l.strides[a]!));
      if (li === 0) offset = lin;
      else {
        const below = v.layers[li - 1]!.shape;
        const s = contiguousStrides(below);
        cur = below.map((d, a) => Math.floor(lin / s[a]!) % d);
      }
    }
    out[e] = offset;
    for (let a = shape.length - 1; a >= 0; a--) {
      if (++idx[a]! < shape[a]!) break;
      idx[a] = 0;
    }
  }
  return out;
}
