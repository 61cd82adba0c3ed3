import { stridesOf } from '../../../ir/tensor.js';

export type ReduceKind = 'sum' | 'max';

/**
 * Sum or max of x over the axes flagged in `reduced`, in float64; the result is laid out as the
 * kept axes in order. Adjacent axes with the same flag are merged first, so the common cases
 * (last axis, all axes, spatial axes) become one contiguous inner loop.
 */
export function reduceAxes(x: ArrayLike<number>, shape: readonly number[], reduced: readonly boolean[], kind: ReduceKind): Float64Array {
  const merged = mergeAxes(shape, reduced);
  const dims = merged.dims;
  const red = merged.reduced;
  const outSize = dims.reduce((p, d, i) => (red[i] ? p : p * d), 1);
  const out = new Float64Array(outSize).fill(kind === 'sum' ? 0 : -Infinity);
  const total = dims.reduce((p, d) => p * d, 1);
  if (total === 0) return out;
  const r = dims.length;
  // Output strides per input axis, 0 on reduced axes.
  const keptStrides = stridesOf(dims.filter((_, i) => !red[i]));
  const os: number[] = [];
  for (let i = 0, k = 0; i < r; i++) os.push(red[i] ? 0 : keptStrides[k++]!);
  const inner = dims[r - 1]!;
  const innerReduced = red[r - 1]!;
  const idx = new Array<number>(r).fill(0);
  let base = 0;
  for (let i = 0; i < total; i += inner) {
    if (innerReduced) {
      if (kind === 'sum') {
        let s = 0;
        for (let j = 0; j < inner; j++) s += x[i + j]!;
        out[base]! += s;
      } else {
        let m = out[base]!;
        for (let j = 0; j < inner; j++) {
          const v = x[i + j]!;
          if (v > m || v !== v) m = v;
        }
        out[base] = m;
      }
    } else if (kind === 'sum') {
      for (let j = 0; j < inner; j++) out[base + j]! += x[i + j]!;
    } else {
      for (let j = 0; j < inner; j++) {
        const v = x[i + j]!;
        const m = out[base + j]!;
        if (v > m || v !== v) out[base + j] = v;
      }
    }
    for (let ax = r - 2; ax >= 0; ax--) {
      idx[ax]!++;
      base += os[ax]!;
      if (idx[ax]! < dims[ax]!) break;
      base -= os[ax]! * dims[ax]!;
      idx[ax] = 0;
    }
  }
  return out;
}

/** Merges runs of adjacent axes that are all reduced or all kept; size-1 axes join either. */
function mergeAxes(shape: readonly number[], reduced: readonly boolean[]): { dims: number[]; reduced: boolean[] } {
  const dims: number[] = [];
  const red: boolean[] = [];
  shape.forEach((d, i) => {
    if (d === 1 && shape.length > 1) return;
    const last = red.length - 1;
    if (last >= 0 && red[last] === reduced[i]) dims[last]! *= d;
    else {
      dims.push(d);
      red.push(reduced[i]!);
    }
  });
  if (dims.length === 0) return { dims: [1], reduced: [true] };
  return { dims, reduced: red };
}

/**
 * Index of the first maximum along the middle axis of x viewed as [outer, d, inner]; a NaN counts
 * as the maximum (first NaN wins).
 */
export function argMax(x: ArrayLike<number>, outer: number, d: number, inner: number): Float64Array {
  const out = new Float64Array(outer * inner);
  const best = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    const base = o * d * inner;
    const ob = o * inner;
    for (let j = 0; j < inner; j++) best[j] = x[base + j]!;
    for (let k = 1; k < d; k++) {
      const row = base + k * inner;
      for (let j = 0; j < inner; j++) {
        const v = x[row + j]!;
        const b = best[j]!;
        if (b === b && (v > b || v !== v)) {
          best[j] = v;
          out[ob + j] = k;
        }
      }
    }
  }
  return out;
}
