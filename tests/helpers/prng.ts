import { SeededRandom } from '../../codegen/tune/random.js';

/**
 * vitc's seeded PRNG (mulberry32, codegen/tune/random.ts) with test conveniences, so randomized
 * tests are reproducible: a failure message that prints the seed and case replays exactly.
 */
export class Rng extends SeededRandom {
  /** Integer in [lo, hi], both inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  float(lo = -1, hi = 1): number {
    return lo + this.next() * (hi - lo);
  }

  bool(): boolean {
    return this.next() < 0.5;
  }

  /** A shape of `rank` dims, each in [lo, hi]. */
  shape(rank: number, lo = 1, hi = 5): number[] {
    return Array.from({ length: rank }, () => this.int(lo, hi));
  }

  /** A random permutation of 0..n-1. */
  perm(n: number): number[] {
    const p = [...Array(n).keys()];
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(0, i);
      [p[i], p[j]] = [p[j]!, p[i]!];
    }
    return p;
  }
}
