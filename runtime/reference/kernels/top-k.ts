/**
 * The k largest (or smallest) entries of each row of a [rows, n] array, in order, with their
 * positions. Ties keep the lower position first, so the order is fully determined (the WebGPU
 * kernel ranks entries by the same rule). NaN entries compare as neither larger nor smaller and
 * therefore keep their position order among themselves.
 */
export function topK(x: ArrayLike<number>, rows: number, n: number, k: number, largest: boolean): { values: Float64Array; indices: Float64Array } {
  const values = new Float64Array(rows * k);
  const indices = new Float64Array(rows * k);
  const order = new Array<number>(n);
  for (let r = 0; r < rows; r++) {
    const base = r * n;
    for (let i = 0; i < n; i++) order[i] = i;
    const before = (i: number, j: number): number => {
      const a = x[base + i]!;
      const b = x[base + j]!;
      if (a !== b && !Number.isNaN(a) && !Number.isNaN(b)) return largest ? (a > b ? -1 : 1) : a < b ? -1 : 1;
      return i - j;
    };
    order.sort(before);
    for (let j = 0; j < k; j++) {
      values[r * k + j] = x[base + order[j]!]!;
      indices[r * k + j] = order[j]!;
    }
  }
  return { values, indices };
}
