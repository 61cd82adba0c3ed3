import type { Storage } from '../../../ir/dtype.js';

/**
 * The copy behind every layout op that maps output coordinates axis by axis (transpose, slice,
 * expand, tile, pad): out[i₀,…,iₖ] = src[Σ offsets[ax][i_ax]], or `fill` where any offset is −1.
 * `offsets[ax]` has one entry per output index along `ax`: the source element offset it reads.
 * Raw storage is copied, so every dtype (f16 bits, i64) moves unchanged.
 */
export function gatherCopy(src: Storage, outShape: readonly number[], offsets: readonly Int32Array[], fill: number, out: Storage): void {
  const r = outShape.length;
  const total = out.length;
  if (total === 0) return;
  if (r === 0) {
    out[0] = src[0]!;
    return;
  }
  const inner = outShape[r - 1]!;
  const io = offsets[r - 1]!;
  const innerFills = io.some((v) => v < 0);
  const idx = new Array<number>(r).fill(0);
  for (let o = 0; o < total; o += inner) {
    let base = 0;
    for (let ax = 0; ax < r - 1; ax++) {
      const v = offsets[ax]![idx[ax]!]!;
      if (v < 0) {
        base = -1;
        break;
      }
      base += v;
    }
    if (base < 0) out.fill(fill, o, o + inner);
    else if (innerFills)
      for (let j = 0; j < inner; j++) {
        const q = io[j]!;
        out[o + j] = q < 0 ? fill : src[base + q]!;
      }
    else for (let j = 0; j < inner; j++) out[o + j] = src[base + io[j]!]!;
    for (let ax = r - 2; ax >= 0; ax--) {
      if (++idx[ax]! < outShape[ax]!) break;
      idx[ax] = 0;
    }
  }
}

/** Offsets (index·stride) for an axis read in order from `start` with `step`. */
export function stridedOffsets(count: number, start: number, step: number, stride: number): Int32Array {
  const o = new Int32Array(count);
  for (let i = 0; i < count; i++) o[i] = (start + i * step) * stride;
  return o;
}

/**
 * Copies `count` blocks of `len` elements: block b from src[srcOff + b·srcStride] to
 * dst[dstOff + b·dstStride]. The concat/split/gather workhorse.
 */
export function copyBlocks(
  src: Storage,
  srcOff: number,
  srcStride: number,
  dst: Storage,
  dstOff: number,
  dstStride: number,
  count: number,
  len: number,
): void {
  for (let b = 0; b < count; b++) {
    const s = srcOff + b * srcStride;
    const d = dstOff + b * dstStride;
    for (let j = 0; j < len; j++) dst[d + j] = src[s + j]!;
  }
}
