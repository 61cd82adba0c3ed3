/**
 * A seeded PRNG (mulberry32) so randomized tests are reproducible: a failure message that prints
 * the seed and case can be replayed exactly.
 */
export class Rng {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

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

  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]!;
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
