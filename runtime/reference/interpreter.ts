import type { AttrSchema, AttrsOf, ResolvedAttrs } from '../../ir/attrs.js';
import { bindShape, resolveShape } from '../../ir/dim.js';
import { VitcError } from '../../ir/errors.js';
import { type Graph, type Node, nodeWhere, type Value, valueRef } from '../../ir/graph.js';
import type { Tensor } from '../../ir/tensor.js';

export interface RunOptions {
  /** Called after each node with its outputs (per-layer comparison, debugging). */
  readonly onNode?: (node: Node, outputs: readonly Tensor[]) => void;
}

/**
 * Executes a graph on the CPU with each op's reference implementation. Symbolic dims are bound
 * from the inputs' shapes; intermediate tensors are released after their last use.
 */
export function runReference(g: Graph, inputs: ReadonlyMap<string, Tensor>, opts: RunOptions = {}): Map<string, Tensor> {
  const env = new Map<string, number>();
  const values = new Map<Value, Tensor>();
  for (const v of g.inputs) {
    const t = inputs.get(v.name!);
    if (!t) throw new VitcError(`missing input '${v.name}' (${v.type.dtype}[${v.type.shape.join(',')}])`);
    if (t.dtype !== v.type.dtype) throw new VitcError(`input '${v.name}' has element type ${t.dtype}, expected ${v.type.dtype}`);
    bindShape(v.type.shape, t.shape, env, `input '${v.name}'`);
    values.set(v, t);
  }
  for (const name of inputs.keys())
    if (!g.inputs.some((v) => v.name === name)) throw new VitcError(`the graph has no input named '${name}'`);

  const lastUse = new Map<Value, number>();
  g.nodes.forEach((n, i) => n.inputs.forEach((v) => lastUse.set(v, i)));
  const keep = new Set<Value>([...g.outputs, ...g.inputs]);

  g.nodes.forEach((n, i) => {
    const args = n.inputs.map((v) => {
      const t = values.get(v);
      if (!t) throw new VitcError(`value ${valueRef(v)} has not been computed`, nodeWhere(n));
      return t;
    });
    let outs: Tensor[];
    try {
      outs = n.op.reference(args, resolveAttrs(n, env));
    } catch (e) {
      if (e instanceof VitcError) throw e.withLoc(nodeWhere(n));
      throw e;
    }
    n.outputs.forEach((o, k) => values.set(o, outs[k]!));
    opts.onNode?.(n, outs);
    for (const v of n.inputs) if (lastUse.get(v) === i && !keep.has(v)) values.delete(v);
  });

  const result = new Map<string, Tensor>();
  for (const o of g.outputs) result.set(o.name!, values.get(o)!);
  return result;
}

/** Substitutes bound symbols into 'dims' attributes. */
function resolveAttrs(n: Node, env: ReadonlyMap<string, number>): ResolvedAttrs<AttrSchema> {
  let out: Record<string, unknown> | undefined;
  for (const [k, spec] of Object.entries(n.op.attrs)) {
    if (spec.kind !== 'dims') continue;
    const v = (n.attrs as Record<string, unknown>)[k] as readonly (number | string)[] | undefined;
    if (v === undefined || v.every((d) => typeof d === 'number')) continue;
    out ??= { ...(n.attrs as AttrsOf<AttrSchema>) };
    out[k] = resolveShape(v, env);
  }
  return (out ?? n.attrs) as ResolvedAttrs<AttrSchema>;
}
