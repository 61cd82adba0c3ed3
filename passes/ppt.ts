import { fail } from '../ir/errors.js';
import type { Graph } from '../ir/graph.js';
import { opt } from './options.js';
import { definePass, type PassContext } from './pass.js';
import { findBlocks, requireClassToken, type VitBlock } from './token-reduction/blocks.js';
import { bipartiteMerge, choose, clsImportance, keyMetric, poolingChosen, prune } from './token-reduction/merge.js';
import { type BlockReduction, reduceTokens } from './token-reduction/rewrite-tokens.js';

/**
 * PPT (token pruning and pooling): in the chosen blocks, after the attention residual, each
 * image's token importance s_j = (Σ_h A[h, cls, j]) · ‖v_j‖ is read from the fused attention
 * (its class-token row and value norms). Where the importance over patch tokens, normalised to
 * sum 1, has a variance below tau the image pools (a ToMe merge on keys averaged over heads);
 * otherwise it prunes (keeps the class token and the top patches by s). Both branches are built
 * and each image picks one, so every image leaves N − r tokens and shapes stay static. r is
 * capped at (N − 1)/2 per block, as in the method. Later attentions use proportional attention.
 */
export const Ppt = definePass({
  name: 'ppt',
  summary: 'PPT adaptive token pruning or pooling per image',
  options: {
    layers: opt.ints('the blocks that prune or pool (0-based)', { min: 0, default: [3, 6, 9] }),
    r: opt.int('tokens removed in each of those blocks (at most (N−1)/2 are)', { min: 0, default: 50 }),
    tau: opt.float('importance-variance threshold: pool below it, prune above', { min: 0, default: 7e-5 }),
  },
  requires: ['attention-fused'],
  establishes: ['no-dead-code'],
  preserves: ['static-shapes', 'attention-fused', 'batchnorm-folded'],
  run: (g, o, ctx) => runPpt(g, o.layers, o.r, o.tau, ctx),
});

function runPpt(g: Graph, layers: readonly number[], r: number, tau: number, ctx: PassContext): Graph {
  const structure = findBlocks(g);
  const blocks = structure.blocks;
  const targets = [...new Set(layers)].sort((a, b) => a - b);
  for (const i of targets) if (i >= blocks.length) fail(`ppt: layer ${i} does not exist; the model has ${blocks.length} blocks (0-${blocks.length - 1})`);
  const reductions = new Map<VitBlock, BlockReduction>();
  const counts: string[] = [];
  let tokens = blocks[targets[0] ?? 0]?.tokens ?? 0;
  for (const i of targets) {
    const ri = Math.min(r, Math.floor((tokens - 1) / 2));
    if (ri === 0) continue;
    reductions.set(blocks[i]!, pruneOrPool(ri, tau));
    tokens -= ri;
    counts.push(`${i}:${tokens}`);
  }
  if (reductions.size === 0) return g;
  requireClassToken(g, blocks[0]!);
  ctx.remark(`tokens after each reducing block: ${counts.join(' ')}`);
  return reduceTokens(g, structure, reductions);
}

function pruneOrPool(r: number, tau: number): BlockReduction {
  return {
    clsStats: true,
    reduce: ({ b, block, tokens, keys, clsStats }) => {
      const score = clsImportance(b, clsStats!.probs, clsStats!.vnorm, block.layout);
      const keep = (tokens.x.type.shape[1] as number) - r;
      const pooled = bipartiteMerge(b, tokens, keyMetric(b, keys, block.layout), r);
      const pruned = prune(b, tokens, score, keep);
      return choose(b, poolingChosen(b, score, tau), pooled, pruned);
    },
  };
}
