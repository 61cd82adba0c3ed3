import type { AttrSchema, AttrsIn } from '../ir/attrs.js';
import { GraphBuilder, type NodeOptions } from '../ir/builder.js';
import type { Graph, Node, Value } from '../ir/graph.js';
import { isOp } from '../ir/graph.js';
import type { OpDef } from '../ir/op.js';
import { Const } from '../ir/ops/const.js';
import type { Tensor } from '../ir/tensor.js';
import { typesEqual, typeToString } from '../ir/types.js';
import { liveNodes } from './properties.js';

/**
 * What a pattern sees while the driver visits one node. Patterns read the sweep's input graph
 * (`graph`: producers and users of its values) and emit new nodes through `add`; operands may be
 * values of `graph` (they are mapped to what replaces them) or values returned by `add`.
 */
export interface RewriteSite {
  readonly graph: Graph;
  /** The value that stands for `v` in the graph being built. */
  resolve(v: Value): Value;
  /** The tensor of `v` when (what replaces) it is defined by a const node. */
  constantOf(v: Value): Tensor | undefined;
  /** True when `v` has exactly one user in `graph` and is not a graph output. */
  hasSingleUse(v: Value): boolean;
  add<S extends AttrSchema>(op: OpDef<S>, inputs: readonly Value[], attrs: AttrsIn<S>, opts?: NodeOptions): Value[];
  add1<S extends AttrSchema>(op: OpDef<S>, inputs: readonly Value[], attrs: AttrsIn<S>, opts?: NodeOptions): Value;
  constant(t: Tensor, name?: string): Value;
}

/**
 * A local rewrite. `match` returns the values that replace the node's results (same types), or
 * undefined when it does not apply; it must decide before emitting any node.
 */
export interface RewritePattern {
  readonly name: string;
  match(node: Node, site: RewriteSite): readonly Value[] | undefined;
}

export interface RewriteOptions {
  /** Called for each applied rewrite (pass remarks, statistics). */
  readonly onApply?: (pattern: string, node: Node) => void;
  /** Sweeps before giving up on reaching a fixpoint (a sign of patterns undoing each other). */
  readonly maxSweeps?: number;
}

/**
 * Applies patterns to a fixpoint. Each sweep walks the nodes in order, tries the patterns on each
 * node (first match wins) and copies unmatched nodes with their operands remapped; then nodes
 * that no longer reach an output are dropped and graph outputs keep their names. `patterns` may
 * be a function, called once per sweep, for patterns that keep per-sweep state (CSE's table).
 * Returns `g` itself when nothing was rewritten or removed.
 */
export function rewriteGraph(
  g: Graph,
  patterns: readonly RewritePattern[] | (() => readonly RewritePattern[]),
  opts: RewriteOptions = {},
): Graph {
  const maxSweeps = opts.maxSweeps ?? 64;
  let cur = g;
  for (let sweep = 0; ; sweep++) {
    if (sweep === maxSweeps) throw new Error(`rewrite patterns did not reach a fixpoint after ${maxSweeps} sweeps`);
    const next = runSweep(cur, typeof patterns === 'function' ? patterns() : patterns, opts);
    if (next === undefined) break;
    cur = next;
  }
  return cur === g ? pruneAndName(g) : cur;
}

/** Drops dead nodes; `g` itself when all are live. */
export function removeDeadNodes(g: Graph): Graph {
  return pruneAndName(g);
}

/** One sweep; undefined when no pattern applied. */
function runSweep(g: Graph, patterns: readonly RewritePattern[], opts: RewriteOptions): Graph | undefined {
  const b = GraphBuilder.derive(g);
  const subst = new Map<Value, Value>();
  const constants = new Map<Value, Tensor>();
  // Values that already stand for a graph output: each output must keep a distinct value.
  const claimed = new Set<Value>(g.inputs);
  const resolve = (v: Value): Value => subst.get(v) ?? v;
  const add = <S extends AttrSchema>(op: OpDef<S>, inputs: readonly Value[], attrs: AttrsIn<S>, o?: NodeOptions): Value[] => {
    const outs = b.add(op, inputs.map(resolve), attrs, o);
    if (op === (Const as unknown as OpDef<S>)) constants.set(outs[0]!, (attrs as unknown as { value: Tensor }).value);
    return outs;
  };
  const site: RewriteSite = {
    graph: g,
    resolve,
    constantOf: (v) => constants.get(resolve(v)),
    hasSingleUse: (v) => g.users(v).length === 1 && !g.isOutput(v),
    add,
    add1: (op, inputs, attrs, o) => {
      const outs = add(op, inputs, attrs, o);
      if (outs.length !== 1) throw new Error(`op '${op.name}' has ${outs.length} results, expected 1`);
      return outs[0]!;
    },
    constant: (t, name) => add(Const, [], { value: t }, { outNames: [name] })[0]!,
  };
  let applied = 0;
  for (const n of g.nodes) {
    const replacement = tryPatterns(n, patterns, site, b, claimed, g);
    if (replacement) {
      applied++;
      opts.onApply?.(replacement.pattern, n);
      n.outputs.forEach((o, i) => subst.set(o, replacement.values[i]!));
      continue;
    }
    b.copyNode(n, n.inputs.map(resolve));
    if (isOp(n, Const)) constants.set(n.outputs[0]!, n.attrs.value);
    for (const o of n.outputs) if (g.isOutput(o)) claimed.add(o);
  }
  if (applied === 0) return undefined;
  b.setOutputs(g.outputs.map(resolve));
  return pruneAndName(
    b.build(),
    g.outputs.map((o) => o.name),
  );
}

function tryPatterns(
  n: Node,
  patterns: readonly RewritePattern[],
  site: RewriteSite,
  b: GraphBuilder,
  claimed: Set<Value>,
  g: Graph,
): { pattern: string; values: readonly Value[] } | undefined {
  for (const p of patterns) {
    const emitted = b.nodeCount;
    const matched = p.match(n, site);
    if (matched === undefined) {
      if (b.nodeCount !== emitted) throw new Error(`rewrite pattern '${p.name}' emitted nodes but did not apply`);
      continue;
    }
    const values = matched.map(site.resolve);
    if (values.length !== n.outputs.length) throw new Error(`rewrite pattern '${p.name}' gave ${values.length} values for ${n.outputs.length} results`);
    n.outputs.forEach((o, i) => {
      const r = values[i]!;
      if (!typesEqual(o.type, r.type))
        throw new Error(`rewrite pattern '${p.name}' replaced a ${typeToString(o.type)} with a ${typeToString(r.type)} at '${n.op.name}'`);
    });
    // A graph output needs a value of its own that can carry its name: not a graph input, not a
    // value already standing for another output. Leave such nodes alone (nothing has been emitted
    // for them when the replacements are existing values).
    const outputSlots = n.outputs.map((o, i) => (g.isOutput(o) ? values[i]! : undefined)).filter((v) => v !== undefined);
    if (outputSlots.some((v) => claimed.has(v)) || new Set(outputSlots).size !== outputSlots.length) {
      if (b.nodeCount !== emitted) throw new Error(`rewrite pattern '${p.name}' emitted nodes for a graph output it cannot replace`);
      return undefined;
    }
    for (const v of outputSlots) claimed.add(v);
    return { pattern: p.name, values };
  }
  return undefined;
}

/**
 * Drops nodes that reach no output and gives every graph output value its name `names[i]` (a
 * rewrite may have replaced `%out` by some intermediate `%7`). `g` itself when nothing changes.
 */
function pruneAndName(g: Graph, names?: readonly (string | undefined)[]): Graph {
  const live = liveNodes(g);
  const wanted = names ?? g.outputs.map((o) => o.name);
  const rename = new Map<Value, string>();
  g.outputs.forEach((o, i) => {
    const name = wanted[i];
    if (name !== undefined && o.name !== name) rename.set(o, name);
  });
  if (live.size === g.nodes.length && rename.size === 0) return g;
  if (rename.size === 0) return g.with({ nodes: g.nodes.filter((n) => live.has(n)) });
  const b = GraphBuilder.derive(g);
  const subst = new Map<Value, Value>();
  const resolve = (v: Value) => subst.get(v) ?? v;
  for (const n of g.nodes) {
    if (!live.has(n)) continue;
    if (!n.outputs.some((o) => rename.has(o))) {
      b.copyNode(n, n.inputs.map(resolve));
      continue;
    }
    const outputs = n.outputs.map((o) => {
      const name = rename.get(o);
      if (name === undefined) return o;
      const fresh = b.newValue(o.type, name);
      subst.set(o, fresh);
      return fresh;
    });
    b.addNode({ ...n, inputs: n.inputs.map(resolve), outputs });
  }
  b.setOutputs(g.outputs.map(resolve));
  return b.build();
}
