/**
 * C[M,N] = A[M,K] · B[K,N] for one batch slice, accumulating in float64.
 * B is first transposed into `bt` (scratch of at least K·N) so both operands stream contiguously;
 * each 2×4 block of C then accumulates in registers. Every output is a float64 dot product taken in
 * index order, so the blocking does not change the result.
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
  bt: Float64Array = new Float64Array(k * n),
): void {
  for (let p = 0; p < k; p++) {
    const row = bOff + p * n;
    for (let j = 0; j < n; j++) bt[j * k + p] = b[row + j]!;
  }
  let i = 0;
  for (; i + 2 <= m; i += 2) {
    const a0 = aOff + i * k;
    const a1 = a0 + k;
    const o0 = outOff + i * n;
    const o1 = o0 + n;
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const b0 = j * k;
      const b1 = b0 + k;
      const b2 = b1 + k;
      const b3 = b2 + k;
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      for (let p = 0; p < k; p++) {
        const x0 = a[a0 + p]!;
        const x1 = a[a1 + p]!;
        const y0 = bt[b0 + p]!;
        const y1 = bt[b1 + p]!;
        const y2 = bt[b2 + p]!;
        const y3 = bt[b3 + p]!;
        s00 += x0 * y0;
        s01 += x0 * y1;
        s02 += x0 * y2;
        s03 += x0 * y3;
        s10 += x1 * y0;
        s11 += x1 * y1;
        s12 += x1 * y2;
        s13 += x1 * y3;
      }
      out[o0 + j] = s00;
      out[o0 + j + 1] = s01;
      out[o0 + j + 2] = s02;
      out[o0 + j + 3] = s03;
      out[o1 + j] = s10;
      out[o1 + j + 1] = s11;
      out[o1 + j + 2] = s12;
      out[o1 + j + 3] = s13;
    }
    for (; j < n; j++) {
      const bj = j * k;
      let s0 = 0;
      let s1 = 0;
      for (let p = 0; p < k; p++) {
        const y = bt[bj + p]!;
        s0 += a[a0 + p]! * y;
        s1 += a[a1 + p]! * y;
      }
      out[o0 + j] = s0;
      out[o1 + j] = s1;
    }
  }
  for (; i < m; i++) {
    const ai = aOff + i * k;
    for (let j = 0; j < n; j++) {
      const bj = j * k;
      let s = 0;
      for (let p = 0; p < k; p++) s += a[ai + p]! * bt[bj + p]!;
      out[outOff + i * n + j] = s;
    }
  }
}
