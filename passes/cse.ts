import type { Node } from '../ir/graph.js';
import { nodeKey, nodesEqual } from './node-key.js';
import { definePass } from './pass.js';
import { rewriteGraph, type RewritePattern } from './rewrite.js';

/**
 * Common subexpression elimination: a node equal to an earlier one (same op, same attributes,
 * same operands after earlier merges; constants compared by content) is replaced by the earlier
 * one's results. Every op is pure, so this is always sound.
 */
export const Cse = definePass({
  name: 'cse',
  summary: 'merge structurally equal nodes, equal constants included',
  options: {},
  requires: [],
  establishes: ['deduplicated', 'no-dead-code'],
  preserves: ['static-shapes', 'constants-folded', 'canonical'],
  run: (g) => rewriteGraph(g, cseSweep),
});

/** One sweep's pattern, with its own table of the nodes seen so far. */
function cseSweep(): RewritePattern[] {
  const seen = new Map<string, Node[]>();
  return [
    {
      name: 'cse',
      match(n, site) {
        const key = nodeKey(n, site.resolve);
        const bucket = seen.get(key);
        const earlier = bucket?.find((m) => nodesEqual(m, n, site.resolve));
        if (earlier) return earlier.outputs;
        if (bucket) bucket.push(n);
        else seen.set(key, [n]);
        return undefined;
      },
    },
  ];
}
