import { allStatic, isStatic } from '../ir/dim.js';
import type { Graph, Node, Value } from '../ir/graph.js';

/**
 * Facts about a graph that passes require and establish. Closed: a new property is added here,
 * with a sentence saying exactly what it promises, so that pipelines can be checked up front.
 */
export const PROPERTIES = {
  'static-shapes': 'every value and every dims attribute has static sizes (no symbolic batch)',
  'constants-folded': 'no node other than const has only constant operands (except results over the folding size cap)',
  canonical: 'no canonicalization pattern applies (identities, no-op reshapes/transposes, x*1, x+0, ...)',
  deduplicated: 'no two nodes compute the same op with the same attributes on the same operands',
  'no-dead-code': 'every node contributes to a graph output',
  'batchnorm-folded': 'no inference batch_norm remains that could be folded into its producing conv or matmul',
  'attention-fused': 'every matmul → softmax → matmul attention chain the pattern recognises is a single attention op',
} as const satisfies Record<string, string>;

export type Property = keyof typeof PROPERTIES;

export function isProperty(s: string): s is Property {
  return Object.hasOwn(PROPERTIES, s);
}

/**
 * Cheap structural checks for the properties that have one. The pass manager runs the check of
 * every property a pass claims to establish (with verify-each), and uses the checks to detect
 * which properties the input graph already has.
 */
export const PROPERTY_CHECKS: { readonly [P in Property]?: (g: Graph) => string | undefined } = {
  'static-shapes': firstSymbolicValue,
  'no-dead-code': firstDeadNode,
};

/** The properties the graph is seen to have by their checks. */
export function detectProperties(g: Graph): Set<Property> {
  const out = new Set<Property>();
  for (const [p, check] of Object.entries(PROPERTY_CHECKS) as [Property, (g: Graph) => string | undefined][])
    if (check(g) === undefined) out.add(p);
  return out;
}

function firstSymbolicValue(g: Graph): string | undefined {
  const bad = (v: Value) => !allStatic(v.type.shape);
  const describe = (v: Value) => `value %${v.name ?? v.id} has symbolic shape [${v.type.shape.join(',')}]`;
  for (const v of g.inputs) if (bad(v)) return describe(v);
  for (const n of g.nodes) {
    for (const o of n.outputs) if (bad(o)) return describe(o);
    const attr = symbolicDimsAttr(n);
    if (attr) return `'${n.op.name}' attribute '${attr}' has symbolic dimensions`;
  }
  return undefined;
}

/** Name of a dims attribute of `n` holding a symbolic dim, if any. */
export function symbolicDimsAttr(n: Node): string | undefined {
  for (const [k, spec] of Object.entries(n.op.attrs)) {
    if (spec.kind !== 'dims') continue;
    const v = (n.attrs as Record<string, unknown>)[k] as readonly (number | string)[] | undefined;
    if (v && !v.every(isStatic)) return k;
  }
  return undefined;
}

function firstDeadNode(g: Graph): string | undefined {
  const live = liveNodes(g);
  const dead = g.nodes.find((n) => !live.has(n));
  return dead && `'${dead.op.name}' defining %${dead.outputs[0]?.name ?? dead.outputs[0]?.id} does not reach an output`;
}

/** Nodes from which some graph output is reachable. */
export function liveNodes(g: Graph): Set<Node> {
  const liveValues = new Set<Value>(g.outputs);
  const live = new Set<Node>();
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    const n = g.nodes[i]!;
    if (!n.outputs.some((o) => liveValues.has(o))) continue;
    live.add(n);
    for (const v of n.inputs) liveValues.add(v);
  }
  return live;
}
