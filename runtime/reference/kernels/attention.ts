/**
 * softmax(q kᵀ · scale + bias) v for `batch` independent slices, float64 throughout.
 * q: [batch, tq, d], k: [batch, tk, d], v: [batch, tk, dv]; bias offsets per (slice, row, col) are
 * supplied by `biasAt` (broadcasting is the caller's business). Output [batch, tq, dv].
 */
export function attention(
  q: ArrayLike<number>,
  k: ArrayLike<number>,
  v: ArrayLike<number>,
  batch: number,
  tq: number,
  tk: number,
  d: number,
  dv: number,
  scale: number,
  biasAt: ((b: number, i: number, j: number) => number) | undefined,
): Float64Array {
  const out = new Float64Array(batch * tq * dv);
  const scores = new Float64Array(tk);
  for (let b = 0; b < batch; b++) {
    const qb = b * tq * d;
    const kb = b * tk * d;
    const vb = b * tk * dv;
    for (let i = 0; i < tq; i++) {
      let max = -Infinity;
      for (let j = 0; j < tk; j++) {
        let s = 0;
        for (let c = 0; c < d; c++) s += q[qb + i * d + c]! * k[kb + j * d + c]!;
        s *= scale;
        if (biasAt) s += biasAt(b, i, j);
        scores[j] = s;
        if (s > max) max = s;
      }
      let sum = 0;
      for (let j = 0; j < tk; j++) {
        scores[j] = Math.exp(scores[j]! - max);
        sum += scores[j]!;
      }
      const o = (b * tq + i) * dv;
      for (let j = 0; j < tk; j++) {
        const p = scores[j]! / sum;
        for (let c = 0; c < dv; c++) out[o + c]! += p * v[vb + j * dv + c]!;
      }
    }
  }
  return out;
}
