import type { Tensor } from '../ir/tensor.js';

export interface Difference {
  /** Largest |a - b|. */
  readonly maxAbs: number;
  /** Largest |a - b| / |b| over elements where |b| > atol (relative error where it is meaningful). */
  readonly maxRel: number;
  /** Elements violating |a - b| <= atol + rtol * |b| (NumPy's allclose rule). */
  readonly mismatches: number;
  readonly count: number;
  /** Shapes differ or a side has NaN where the other does not. */
  readonly incompatible?: string;
}

/** Compares an actual tensor against a reference one, element by element. */
export function compareTensors(actual: Tensor, expected: Tensor, rtol: number, atol: number): Difference {
  if (actual.shape.length !== expected.shape.length || actual.shape.some((d, i) => d !== expected.shape[i]))
    return { maxAbs: Infinity, maxRel: Infinity, mismatches: expected.size, count: expected.size, incompatible: `shape [${actual.shape}] vs [${expected.shape}]` };
  let maxAbs = 0;
  let maxRel = 0;
  let mismatches = 0;
  for (let i = 0; i < expected.size; i++) {
    const a = actual.get(i);
    const b = expected.get(i);
    if (Number.isNaN(a) || Number.isNaN(b)) {
      if (Number.isNaN(a) !== Number.isNaN(b)) return { maxAbs: Infinity, maxRel: Infinity, mismatches: 1, count: expected.size, incompatible: `NaN at element ${i}` };
      continue;
    }
    const d = Math.abs(a - b);
    if (d > maxAbs) maxAbs = d;
    if (Math.abs(b) > atol) maxRel = Math.max(maxRel, d / Math.abs(b));
    if (d > atol + rtol * Math.abs(b)) mismatches++;
  }
  return { maxAbs, maxRel, mismatches, count: expected.size };
}
