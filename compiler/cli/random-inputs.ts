import { floatToHalf } from '../../ir/dtype.js';
import { Tensor } from '../../ir/tensor.js';
import { bindBatch, type TensorSpec } from './tensor-specs.js';

/** mulberry32: small, fast and the same on every platform, so `--seed N` reproduces inputs exactly. */
export function seededUniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Seeded inputs for `vitc verify`, the symbolic batch bound to `batch`: floats ~ N(0, 1)
 * (Box–Muller), integers uniform in [0, 3], booleans fair coin flips.
 */
export function randomInputs(specs: readonly TensorSpec[], batch: number, seed: number): Map<string, Tensor> {
  const uniform = seededUniform(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  const out = new Map<string, Tensor>();
  for (const { spec, shape } of bindBatch(specs, batch)) {
    const t = new Tensor(spec.dtype, shape);
    for (let i = 0; i < t.size; i++) {
      if (spec.dtype === 'f32' || spec.dtype === 'f16') t.data[i] = spec.dtype === 'f16' ? floatToHalf(normal()) : normal();
      else if (spec.dtype === 'bool') t.data[i] = uniform() < 0.5 ? 1 : 0;
      else t.data[i] = Math.floor(uniform() * 4);
    }
    out.set(spec.name, t);
  }
  return out;
}
