import { RandomForestRegression } from 'ml-random-forest';

/*
 * The online cost model: a random forest (mljs ml-random-forest, CART trees on bootstrap
 * samples) regressing the log of a candidate's time relative to its workload's default schedule
 * on the features of features.ts. Relative log time lets workloads of one class share a model
 * (a 197×768 GEMM and a 197×192 one teach each other which tiles work on this device); the
 * spread of the trees' predictions is the uncertainty that exploration uses (a lower confidence
 * bound picks candidates that may be fast, not only those predicted fast).
 */

export interface Prediction {
  /** Predicted log(time / default time). */
  readonly mean: number;
  /** Standard deviation of the trees' predictions. */
  readonly std: number;
}

export interface CostModelOptions {
  readonly trees?: number;
  readonly seed?: number;
  /** Fewer samples than this and the model stays untrained (predictions are uninformative). */
  readonly minSamples?: number;
}

export class CostModel {
  readonly #x: number[][] = [];
  readonly #y: number[] = [];
  readonly #trees: number;
  readonly #seed: number;
  readonly #minSamples: number;
  #forest: RandomForestRegression | undefined;
  #fitted = 0;

  constructor(options: CostModelOptions = {}) {
    this.#trees = options.trees ?? 24;
    this.#seed = options.seed ?? 1;
    this.#minSamples = options.minSamples ?? 6;
  }

  get samples(): number {
    return this.#y.length;
  }

  get trained(): boolean {
    return this.#forest !== undefined;
  }

  /** One measurement: features and log(time / default time). */
  add(x: readonly number[], y: number): void {
    if (!Number.isFinite(y)) return;
    this.#x.push([...x]);
    this.#y.push(y);
  }

  /** Refits on every sample so far (cheap: a few hundred samples, a few dozen trees). */
  fit(): void {
    if (this.#y.length < this.#minSamples || this.#fitted === this.#y.length) return;
    const forest = new RandomForestRegression({
      nEstimators: this.#trees,
      maxFeatures: 0.8,
      replacement: false,
      useSampleBagging: true,
      noOOB: true,
      seed: this.#seed + this.#y.length,
      treeOptions: { minNumSamples: 2 },
    });
    forest.train(this.#x, this.#y);
    this.#forest = forest;
    this.#fitted = this.#y.length;
  }

  predict(xs: readonly (readonly number[])[]): Prediction[] {
    if (!this.#forest || xs.length === 0) return xs.map(() => ({ mean: 0, std: 1 }));
    const perTree = this.#forest.predictionValues(xs.map((x) => [...x]));
    return xs.map((_, i) => {
      const row = perTree.getRow(i);
      const mean = row.reduce((a, b) => a + b, 0) / row.length;
      const variance = row.reduce((a, b) => a + (b - mean) ** 2, 0) / row.length;
      return { mean, std: Math.sqrt(variance) };
    });
  }
}
