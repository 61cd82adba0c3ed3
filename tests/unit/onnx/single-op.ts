import { rmSync } from 'node:fs';
import { after } from 'node:test';
import type { Dim } from '../../../ir/dim.js';
import type { DType } from '../../../ir/dtype.js';
import type { Graph } from '../../../ir/graph.js';
import { buildModel, type ModelSpec, scratchDir, type ValueSpec, writeFile } from '../../helpers/onnx-build.js';
import { checkAgainstOrt, type OrtCheckOptions } from '../../numeric/onnx-check.js';

/** A tensor value spec: `v('x', [2, 3])` is f32; other dtypes by the third argument. */
export function v(name: string, shape: readonly Dim[], dtype: DType = 'f32'): ValueSpec {
  return { name, dtype, shape };
}

/** An output spec without a shape (onnxruntime infers it). */
export function out(name: string, dtype: DType = 'f32'): ValueSpec {
  return { name, dtype };
}

/**
 * Per test file: a scratch folder (removed after the file's tests) and `check`, which writes a
 * model there and compares vitc's import against onnxruntime.
 */
export function ortChecker(): (spec: ModelSpec, opts?: OrtCheckOptions) => Promise<Graph> {
  const dir = scratchDir();
  after(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  return (spec, opts) => checkAgainstOrt(writeFile(dir, `m${n++}.onnx`, buildModel(spec)), opts);
}

/** Counts of IR ops in a graph, by op name. */
export function opCounts(g: Graph): Record<string, number> {
  const c: Record<string, number> = {};
  for (const n of g.nodes) c[n.op.name] = (c[n.op.name] ?? 0) + 1;
  return c;
}
