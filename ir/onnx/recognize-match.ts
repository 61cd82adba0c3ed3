import type { AttrSchema, AttrsIn } from '../attrs.js';
import { GraphBuilder } from '../builder.js';
import { VitcError } from '../errors.js';
import { type Graph, isOp, type Node, type Value } from '../graph.js';
import { normalizeAttrs } from '../normalize-attrs.js';
import type { OpDef } from '../op.js';
import { Const } from '../ops/index.js';
import { Tensor } from '../tensor.js';
import { typeOf, typesEqual } from '../types.js';

/** Small helpers for matching op patterns on an imported graph. */

/** The node producing `v` if it is `op`. */
export function producedBy<S extends AttrSchema>(g: Graph, v: Value, op: OpDef<S>): Node<S> | undefined {
  const n = g.producer(v);
  return n && isOp(n, op) ? n : undefined;
}

/** The constant behind `v`, if a `const` node produces it. */
export function constOf(g: Graph, v: Value): Tensor | undefined {
  return producedBy(g, v, Const)?.attrs.value;
}

/** The value of a one-element constant. */
export function scalarOf(g: Graph, v: Value): number | undefined {
  const t = constOf(g, v);
  return t && t.size === 1 ? t.get(0) : undefined;
}

/** `v` feeds exactly one node (which may use it twice) and is not a graph output. */
export function singleUse(g: Graph, v: Value): boolean {
  return g.users(v).length === 1 && !g.isOutput(v);
}

/** The only user of `v` if it is `op` (and `v` is not a graph output). */
export function soleUserIs<S extends AttrSchema>(g: Graph, v: Value, op: OpDef<S>): Node<S> | undefined {
  if (!singleUse(g, v)) return undefined;
  const u = g.users(v)[0]!;
  return isOp(u, op) ? u : undefined;
}

/** For a commutative binary node, the operand other than `v` (undefined if `v` is not an operand). */
export function otherOperand(n: Node, v: Value): Value | undefined {
  if (n.inputs[0] === v) return n.inputs[1];
  if (n.inputs[1] === v) return n.inputs[0];
  return undefined;
}

/** |a − b| within float32 rounding of b. */
export function nearly(a: number | undefined, b: number): boolean {
  return a !== undefined && Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b));
}

/** A recognised pattern: `root` is replaced by `op(operands)`, keeping root's result values. */
export interface Rewrite {
  readonly root: Node;
  readonly op: OpDef;
  /** Existing values, or new constants to insert before the replacement. */
  readonly operands: readonly (Value | Tensor)[];
  readonly attrs: Readonly<Record<string, unknown>>;
  /** Every node of the pattern (root included); they become dead once the root is replaced. */
  readonly absorbed: readonly Node[];
}

/**
 * Rebuilds `g` with each rewrite's root replaced. Patterns that overlap an earlier one are
 * skipped. Returns the graph and, for coverage, which op absorbed each pattern node (keyed by
 * the node's first result).
 */
export function applyRewrites(g: Graph, rewrites: readonly Rewrite[]): { graph: Graph; absorbed: Map<Value, string> } {
  const absorbed = new Map<Value, string>();
  const byRoot = new Map<Node, Rewrite>();
  for (const r of rewrites) {
    if (r.absorbed.some((n) => absorbed.has(n.outputs[0]!))) continue;
    for (const n of r.absorbed) absorbed.set(n.outputs[0]!, r.op.name);
    byRoot.set(r.root, r);
  }
  if (!byRoot.size) return { graph: g, absorbed };
  const b = GraphBuilder.derive(g);
  for (const n of g.nodes) {
    const r = byRoot.get(n);
    if (!r) {
      b.addNode(n);
      continue;
    }
    const inputs = r.operands.map((o) => (o instanceof Tensor ? b.constant(o, undefined, n.loc ? { loc: n.loc } : {}) : o));
    const attrs = normalizeAttrs(r.op, r.attrs as AttrsIn<AttrSchema>);
    b.addNode({ op: r.op, inputs, outputs: n.outputs, attrs, name: n.name, loc: n.loc });
  }
  b.setOutputs(g.outputs);
  return { graph: b.build(), absorbed };
}

/** Checks that `op(operands)` infers root's result types (so a rewrite never changes types). */
export function rewriteTypeChecks(r: Omit<Rewrite, 'absorbed'>): boolean {
  try {
    const types = r.operands.map((o) => (o instanceof Tensor ? typeOf(o) : o.type));
    const out = r.op.infer(types, normalizeAttrs(r.op, r.attrs as AttrsIn<AttrSchema>));
    return out.length === r.root.outputs.length && out.every((t, i) => typesEqual(t, r.root.outputs[i]!.type));
  } catch (e) {
    if (e instanceof VitcError) return false;
    throw e;
  }
}
