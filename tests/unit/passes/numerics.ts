import assert from 'node:assert/strict';
import { resolveShape } from '../../../ir/dim.js';
import { isFloat } from '../../../ir/dtype.js';
import type { Graph } from '../../../ir/graph.js';
import { Tensor } from '../../../ir/tensor.js';
import { runReference } from '../../../runtime/reference/interpreter.js';
import { rng } from '../../helpers/random.js';

export { rng };

/** Uniform values in [-2, 2) for floats, small integers otherwise; symbols bound to `batch`. */
export function randomTensor(dtype: Tensor['dtype'], shape: readonly number[], next: () => number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const vals = Array.from({ length: n }, () => (isFloat(dtype) ? next() * 4 - 2 : dtype === 'bool' ? (next() < 0.5 ? 0 : 1) : Math.floor(next() * 7) - 3));
  return Tensor.fromNumbers(dtype, shape, vals);
}

export function randomInputs(g: Graph, seed: number, batch = 2): Map<string, Tensor> {
  const next = rng(seed);
  const env = new Map<string, number>();
  for (const v of g.inputs) for (const d of v.type.shape) if (typeof d === 'string') env.set(d.replace(/^\d+\*/, ''), batch);
  return new Map(g.inputs.map((v) => [v.name!, randomTensor(v.type.dtype, resolveShape(v.type.shape, env), next)]));
}

/**
 * Runs both graphs on the reference interpreter with the same seeded inputs and asserts every
 * output agrees in dtype, shape and values: |a − b| ≤ atol + rtol·|b|.
 */
export function assertSameResults(before: Graph, after: Graph, opts: { seed?: number; batch?: number; rtol?: number; atol?: number } = {}): void {
  // From the result's input types: a pass may have bound the batch (infer-shapes{batch=B}).
  const inputs = randomInputs(after, opts.seed ?? 1, opts.batch);
  const want = runReference(before, inputs);
  const got = runReference(after, inputs);
  assert.deepEqual([...got.keys()], [...want.keys()], 'output names');
  const rtol = opts.rtol ?? 1e-6;
  const atol = opts.atol ?? 1e-6;
  for (const [name, w] of want) {
    const g = got.get(name)!;
    assert.equal(g.dtype, w.dtype, `${name}: dtype`);
    assert.deepEqual(g.shape, w.shape, `${name}: shape`);
    for (let i = 0; i < w.size; i++) {
      const a = g.get(i);
      const b = w.get(i);
      if (Number.isNaN(b)) assert.ok(Number.isNaN(a), `${name}[${i}]: ${a} vs NaN`);
      else assert.ok(Math.abs(a - b) <= atol + rtol * Math.abs(b), `${name}[${i}]: ${a} vs ${b}`);
    }
  }
}
