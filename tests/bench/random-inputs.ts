import { SeededRandom } from '../../codegen/tune/random.js';
import { Tensor } from '../../ir/tensor.js';

/**
 * Fixed pseudo-random inputs, so every participant (and every run of the bench) sees the same
 * image. Values are standard-normal, like a normalised photo. mulberry32 + Box-Muller: small,
 * seedable, identical on every platform.
 */
export function randomNormalTensor(shape: readonly number[], seed: number): Tensor {
  const rng = new SeededRandom(seed);
  const next = () => rng.next();
  const t = new Tensor('f32', shape);
  for (let i = 0; i < t.size; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - next()));
    const phi = 2 * Math.PI * next();
    t.data[i] = r * Math.cos(phi);
    if (i + 1 < t.size) t.data[i + 1] = r * Math.sin(phi);
  }
  return t;
}
