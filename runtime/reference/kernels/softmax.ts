/**
 * Softmax along the middle axis of x viewed as [outer, d, inner], stable: the maximum is
 * subtracted before exponentiating, and sums are float64.
 */
export function softmax(x: ArrayLike<number>, outer: number, d: number, inner: number): Float64Array {
  const out = new Float64Array(outer * d * inner);
  if (inner === 1) {
    for (let o = 0; o < outer; o++) {
      const off = o * d;
      let m = -Infinity;
      for (let k = 0; k < d; k++) if (x[off + k]! > m) m = x[off + k]!;
      let s = 0;
      for (let k = 0; k < d; k++) {
        const e = Math.exp(x[off + k]! - m);
        out[off + k] = e;
        s += e;
      }
      const inv = 1 / s;
      for (let k = 0; k < d; k++) out[off + k]! *= inv;
    }
    return out;
  }
  // Strided axis: the statistics of `inner` independent columns advance together row by row.
  const max = new Float64Array(inner);
  const sum = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    const off = o * d * inner;
    max.fill(-Infinity);
    sum.fill(0);
    for (let k = 0; k < d; k++) {
      const row = off + k * inner;
      for (let j = 0; j < inner; j++) if (x[row + j]! > max[j]!) max[j] = x[row + j]!;
    }
    for (let k = 0; k < d; k++) {
      const row = off + k * inner;
      for (let j = 0; j < inner; j++) {
        const e = Math.exp(x[row + j]! - max[j]!);
        out[row + j] = e;
        sum[j]! += e;
      }
    }
    for (let j = 0; j < inner; j++) sum[j] = 1 / sum[j]!;
    for (let k = 0; k < d; k++) {
      const row = off + k * inner;
      for (let j = 0; j < inner; j++) out[row + j]! *= sum[j]!;
    }
  }
  return out;
}
