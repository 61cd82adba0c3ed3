/**
 * C[M,N] (+)= A[M,K] · B[K,N] for one batch slice, accumulating in float64.
 * Row-by-row with a float64 accumulator row: the inner loop streams B and C contiguously.
 */
export function matmulSlice(
  a: ArrayLike<number>,
  aOff: number,
  b: ArrayLike<number>,
  bOff: number,
  out: Float32Array | Float64Array,
  outOff: number,
  m: number,
  k: number,
  n: number,
  acc: Float64Array = new Float64Array(n),
): void {
  for (let i = 0; i < m; i++) {
    acc.fill(0);
    const arow = aOff + i * k;
    for (let p = 0; p < k; p++) {
      const av = a[arow + p]!;
      if (av === 0) continue;
      const brow = bOff + p * n;
      for (let j = 0; j < n; j++) acc[j]! += av * b[brow + j]!;
    }
    const orow = outOff + i * n;
    for (let j = 0; j < n; j++) out[orow + j] = acc[j]!;
  }
}
