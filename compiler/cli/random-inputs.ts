import { SeededRandom } from '../../codegen/tune/random.js';
import { floatToHalf } from '../../ir/dtype.js';
import { Tensor } from '../../ir/tensor.js';
import { bindBatch, type TensorSpec } from './tensor-specs.js';

/**
 * Seeded inputs for `vitc verify`, the symbolic batch bound to `batch`: floats ~ N(0, 1)
 * (Box–Muller), integers uniform in [0, 3], booleans fair coin flips.
 */
export function randomInputs(specs: readonly TensorSpec[], batch: number, seed: number): Map<string, Tensor> {
  // mulberry32, the same on every platform: `--seed N` reproduces inputs exactly.
  const rng = new SeededRandom(seed);
  const uniform = () => rng.next();
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
