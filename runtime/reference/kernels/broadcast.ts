import { stridesOf } from '../../../ir/tensor.js';

/**
 * Strides of an input for iterating over a broadcast output shape: 0 on broadcast axes.
 * The input shape is right-aligned against the output shape.
 */
export function broadcastStrides(inShape: readonly number[], outShape: readonly number[]): number[] {
  const s = stridesOf(inShape);
  const off = outShape.length - inShape.length;
  return outShape.map((_, i) => (i < off || inShape[i - off] === 1 ? 0 : s[i - off]!));
}

/**
 * Calls `visit(outIndex, offsetA, offsetB)` for every output element in row-major order, with the
 * matching element offsets of two broadcast inputs. The innermost axis runs in a tight loop.
 */
export function forEachBroadcast2(
  outShape: readonly number[],
  aShape: readonly number[],
  bShape: readonly number[],
  visit: (o: number, a: number, b: number) => void,
): void {
  const rank = outShape.length;
  const total = outShape.reduce((x, y) => x * y, 1);
  if (total === 0) return;
  if (rank === 0) {
    visit(0, 0, 0);
    return;
  }
  const sa = broadcastStrides(aShape, outShape);
  const sb = broadcastStrides(bShape, outShape);
  const inner = outShape[rank - 1]!;
  const ia = sa[rank - 1]!;
  const ib = sb[rank - 1]!;
  const idx = new Array<number>(rank).fill(0);
  let o = 0;
  let baseA = 0;
  let baseB = 0;
  while (o < total) {
    for (let j = 0, pa = baseA, pb = baseB; j < inner; j++, pa += ia, pb += ib) visit(o++, pa, pb);
    // Advance the odometer over the outer axes.
    for (let ax = rank - 2; ax >= 0; ax--) {
      idx[ax]!++;
      baseA += sa[ax]!;
      baseB += sb[ax]!;
      if (idx[ax]! < outShape[ax]!) break;
      baseA -= sa[ax]! * outShape[ax]!;
      baseB -= sb[ax]! * outShape[ax]!;
      idx[ax] = 0;
    }
  }
}

/** Offsets into an input of shape `inShape` for each element of the broadcast `outShape`. */
export function broadcastOffsets(inShape: readonly number[], outShape: readonly number[]): Int32Array {
  const total = outShape.reduce((x, y) => x * y, 1);
  const out = new Int32Array(total);
  forEachBroadcast2(outShape, inShape, [], (o, a) => {
    out[o] = a;
  });
  return out;
}
