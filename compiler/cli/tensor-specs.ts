import { bindShape, type Dim, isStatic, resolveShape, symbolsOf } from '../../ir/dim.js';
import type { DType } from '../../ir/dtype.js';
import { VitcError } from '../../ir/errors.js';
import type { Graph } from '../../ir/graph.js';
import type { Tensor } from '../../ir/tensor.js';

/** A model input or output as the CLI sees it: graph values and artifact plans alike. */
export interface TensorSpec {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly Dim[];
}

export function graphInputs(g: Graph): TensorSpec[] {
  return g.inputs.map((v) => ({ name: v.name!, dtype: v.type.dtype, shape: v.type.shape }));
}

export function graphOutputs(g: Graph): TensorSpec[] {
  return g.outputs.map((v) => ({ name: v.name!, dtype: v.type.dtype, shape: v.type.shape }));
}

export function describeSpec(s: TensorSpec): string {
  return `'${s.name}' ${s.dtype}[${s.shape.join(',')}]`;
}

/** The symbolic dimensions of the specs (vitc graphs have at most one: the batch). */
export function batchSymbols(specs: readonly TensorSpec[]): string[] {
  return [...new Set(specs.flatMap((s) => symbolsOf(s.shape)))];
}

/** Concrete shapes with every symbol bound to `batch`. */
export function bindBatch(specs: readonly TensorSpec[], batch: number): { spec: TensorSpec; shape: number[] }[] {
  const env = new Map(batchSymbols(specs).map((s) => [s, batch] as const));
  return specs.map((spec) => ({ spec, shape: resolveShape(spec.shape, env) }));
}

/**
 * Checks given tensors against the declared inputs (names, element types, shapes) and returns
 * the batch they bind, if the inputs have a symbolic batch.
 */
export function checkInputs(specs: readonly TensorSpec[], given: ReadonlyMap<string, Tensor>, where: string): number | undefined {
  for (const name of given.keys())
    if (!specs.some((s) => s.name === name)) throw new VitcError(`the model has no input named '${name}'; its inputs are ${specs.map(describeSpec).join(', ')}`, { context: where });
  const env = new Map<string, number>();
  for (const s of specs) {
    const t = given.get(s.name);
    if (!t) throw new VitcError(`input ${describeSpec(s)} is not given`, { context: where });
    if (t.dtype !== s.dtype) throw new VitcError(`input '${s.name}' has element type ${t.dtype}, the model expects ${s.dtype}`, { context: where });
    bindShape(s.shape, t.shape, env, `input '${s.name}' [${t.shape.join(',')}] vs [${s.shape.join(',')}]`);
  }
  const values = [...env.values()];
  return values.length ? values[0] : undefined;
}

/** The static leading dimension of the first input, when the model has no symbolic batch. */
export function staticBatch(specs: readonly TensorSpec[]): number | undefined {
  const d = specs[0]?.shape[0];
  return d !== undefined && isStatic(d) ? d : undefined;
}

/** `--batch B` against the model: it binds a symbolic batch, or must equal a static one. */
export function chooseBatch(specs: readonly TensorSpec[], requested: number | undefined, fromInputs: number | undefined): number {
  const symbolic = batchSymbols(specs).length > 0;
  if (!symbolic) {
    const fixed = staticBatch(specs) ?? 1;
    if (requested !== undefined && requested !== fixed)
      throw new VitcError(`the model's batch size is fixed at ${fixed} (its inputs have no symbolic dimension); --batch ${requested} does not apply`, { context: '--batch' });
    return fixed;
  }
  if (requested !== undefined && fromInputs !== undefined && requested !== fromInputs)
    throw new VitcError(`--batch ${requested} does not match the inputs, which have batch ${fromInputs}`, { context: '--batch' });
  return requested ?? fromInputs ?? 1;
}
