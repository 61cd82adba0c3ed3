import type { Graph, Node, Value } from '../graph.js';

/** Removes nodes none of whose results reach a graph output (ops here have no side effects). */
export function dropDeadNodes(g: Graph): Graph {
  const live = new Set<Value>(g.outputs);
  const keep: Node[] = [];
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    const n = g.nodes[i]!;
    if (!n.outputs.some((o) => live.has(o))) continue;
    keep.push(n);
    for (const v of n.inputs) live.add(v);
  }
  return keep.length === g.nodes.length ? g : g.with({ nodes: keep.reverse() });
}
