import assert from 'node:assert/strict';
import { resolveShape } from '../../ir/dim.js';
import { isFloat } from '../../ir/dtype.js';
import type { Graph } from '../../ir/graph.js';
import { importOnnxFile, type ImportOptions } from '../../ir/onnx/import.js';
import { Tensor } from '../../ir/tensor.js';
import { compareTensors } from '../../runtime/compare.js';
import { openOrt } from '../../runtime/ort-reference.js';
import { runReference } from '../../runtime/reference/interpreter.js';
import { rng } from '../helpers/random.js';

/** Random inputs for every graph input: floats ~ N(0, 1), integers in [0, 3), bools 0/1. */
export function randomInputs(g: Graph, batch: number, seed: number): Map<string, Tensor> {
  const rnd = rng(seed);
  const env = new Map([['N', batch]]);
  const out = new Map<string, Tensor>();
  for (const v of g.inputs) {
    const t = new Tensor(v.type.dtype, resolveShape(v.type.shape, env));
    for (let i = 0; i < t.size; i++) {
      if (isFloat(v.type.dtype)) {
        // Box–Muller.
        const u = Math.max(rnd(), 1e-12);
        t.data[i] = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd());
      } else t.data[i] = v.type.dtype === 'bool' ? (rnd() < 0.5 ? 0 : 1) : Math.floor(rnd() * 3);
    }
    out.set(v.name!, t);
  }
  return out;
}

export interface OrtCheckOptions extends ImportOptions {
  /** Batch sizes for models with a symbolic batch (default [1, 2]); static models run once. */
  readonly batches?: readonly number[];
  /** Fixed inputs instead of random ones. */
  readonly inputs?: ReadonlyMap<string, Tensor>;
  readonly rtol?: number;
  readonly atol?: number;
  readonly seed?: number;
}

/**
 * Imports the model at `path`, runs vitc's reference interpreter and onnxruntime-node on the same
 * inputs, and asserts every output matches (NumPy allclose, rtol 1e-4 and atol 1e-5 by default).
 * Returns the imported graph for further checks.
 */
export async function checkAgainstOrt(path: string, opts: OrtCheckOptions = {}): Promise<Graph> {
  const g = importOnnxFile(path, opts);
  const dynamic = g.inputs.some((v) => v.type.shape.some((d) => typeof d !== 'number'));
  const batches = opts.inputs || !dynamic ? [1] : (opts.batches ?? [1, 2]);
  const ort = await openOrt(path);
  try {
    for (const batch of batches) {
      const inputs = opts.inputs ?? randomInputs(g, batch, (opts.seed ?? 1234) + batch);
      const ours = runReference(g, inputs);
      const ref = await ort.run(inputs);
      assert.equal(ours.size, ref.size, `${path}: output count`);
      for (const [name, expected] of ref) {
        const actual = ours.get(name);
        assert.ok(actual, `${path}: vitc produced no output '${name}'`);
        assert.equal(actual.dtype, expected.dtype, `${path}: output '${name}' dtype`);
        const d = compareTensors(actual, expected, opts.rtol ?? 1e-4, opts.atol ?? 1e-5);
        assert.ok(
          !d.incompatible && d.mismatches === 0,
          `${path} (batch ${batch}): output '${name}' differs from onnxruntime: ${d.incompatible ?? `${d.mismatches}/${d.count} elements, max abs ${d.maxAbs}, max rel ${d.maxRel}`}`,
        );
      }
    }
  } finally {
    await ort.release();
  }
  return g;
}
