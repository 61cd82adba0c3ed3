/**
 * What PPT reads from an attention besides its output, for `batch` independent slices (float64):
 * the softmax probabilities of query row 0 (the class token) over the keys, and the L2 norm of
 * each value row. q: [batch, tq, d], k: [batch, tk, d], v: [batch, tk, dv]; results [batch, tk].
 */
export function attentionClsStats(
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
): { probs: Float64Array; vnorm: Float64Array } {
  const probs = new Float64Array(batch * tk);
  const vnorm = new Float64Array(batch * tk);
  for (let b = 0; b < batch; b++) {
    const qb = b * tq * d;
    let max = -Infinity;
    for (let j = 0; j < tk; j++) {
      let s = 0;
      for (let c = 0; c < d; c++) s += q[qb + c]! * k[(b * tk + j) * d + c]!;
      s = s * scale + (biasAt ? biasAt(b, 0, j) : 0);
      probs[b * tk + j] = s;
      if (s > max) max = s;
    }
    let sum = 0;
    for (let j = 0; j < tk; j++) sum += probs[b * tk + j] = Math.exp(probs[b * tk + j]! - max);
    for (let j = 0; j < tk; j++) {
      probs[b * tk + j]! /= sum;
      let sq = 0;
      for (let c = 0; c < dv; c++) sq += v[(b * tk + j) * dv + c]! ** 2;
      vnorm[b * tk + j] = Math.sqrt(sq);
    }
  }
  return { probs, vnorm };
}
