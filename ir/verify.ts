import type { AttrSchema, AttrsOf } from './attrs.js';
import { checkArity } from './builder.js';
import { VitcError } from './errors.js';
import { type Graph, type Node, nodeWhere, type Value, valueRef } from './graph.js';
import { normalizeAttrs } from './normalize-attrs.js';
import { outputCount } from './op.js';
import { typesEqual, typeToString } from './types.js';

/**
 * Checks a graph's structural and type invariants and throws the first violation with its
 * location: values used before definition or never defined (dangling), values defined twice,
 * operand counts, attributes against the op schema, and declared result types against inference.
 */
export function verifyGraph(g: Graph): void {
  const defined = new Set<Value>();
  const definedAt = new Map<Value, number>();
  g.nodes.forEach((n, i) => n.outputs.forEach((o) => definedAt.set(o, i)));
  for (const v of g.inputs) {
    if (defined.has(v)) throw new VitcError(`graph input ${valueRef(v)} is declared twice`, { context: `graph @${g.name}` });
    if (!v.name) throw new VitcError(`graph input %${v.id} has no name`, { context: `graph @${g.name}` });
    defined.add(v);
  }
  g.nodes.forEach((n, i) => {
    try {
      verifyNode(n, i, defined, definedAt);
    } catch (e) {
      if (e instanceof VitcError) throw e.withLoc(nodeWhere(n));
      throw e;
    }
    for (const o of n.outputs) {
      if (defined.has(o)) throw new VitcError(`value ${valueRef(o)} is defined more than once`, nodeWhere(n));
      defined.add(o);
    }
  });
  const names = new Set<string>();
  const inputNames = new Map(g.inputs.map((v) => [v.name, v]));
  for (const o of g.outputs) {
    if (!defined.has(o)) throw new VitcError(`graph output ${valueRef(o)} is dangling: no node or input defines it`, { context: `graph @${g.name}` });
    if (!o.name) throw new VitcError(`graph output ${valueRef(o)} has no name`, { context: `graph @${g.name}` });
    if (names.has(o.name)) throw new VitcError(`graph output name '${o.name}' is used twice`, { context: `graph @${g.name}` });
    const sameName = inputNames.get(o.name);
    if (sameName && sameName !== o) throw new VitcError(`graph output '${o.name}' has the name of a different graph input`, { context: `graph @${g.name}` });
    names.add(o.name);
  }
}

function verifyNode(n: Node, index: number, defined: Set<Value>, definedAt: Map<Value, number>): void {
  for (const v of n.inputs) {
    if (defined.has(v)) continue;
    const at = definedAt.get(v);
    if (at !== undefined && at >= index) throw new VitcError(`use of ${valueRef(v)} before its definition`);
    throw new VitcError(`use of ${valueRef(v)}, which no node or graph input defines (dangling value)`);
  }
  checkArity(n.op, n.inputs.length);
  const attrs = normalizeAttrs(n.op, n.attrs);
  const want = outputCount(n.op, attrs as AttrsOf<AttrSchema>, n.inputs.length);
  if (n.outputs.length !== want) throw new VitcError(`'${n.op.name}' has ${n.outputs.length} results, expected ${want}`);
  const inferred = n.op.infer(
    n.inputs.map((v) => v.type),
    attrs,
  );
  inferred.forEach((t, i) => {
    const declared = n.outputs[i]!.type;
    if (!typesEqual(t, declared))
      throw new VitcError(`result ${valueRef(n.outputs[i]!)} is declared ${typeToString(declared)} but '${n.op.name}' produces ${typeToString(t)}`);
  });
}
