import { fail } from '../ir/errors.js';
import type { Graph } from '../ir/graph.js';
import { opt } from './options.js';
import { definePass, type PassContext } from './pass.js';
import { findBlocks, requireClassToken, type VitBlock } from './token-reduction/blocks.js';
import { bipartiteMerge, keyMetric } from './token-reduction/merge.js';
import { type BlockReduction, reduceTokens } from './token-reduction/rewrite-tokens.js';

/**
 * ToMe (token merging): between the attention and the MLP of each chosen block, bipartite soft
 * matching on the keys averaged over heads merges r tokens per image into their most similar
 * partners (size-weighted averages, class token never merged); every later attention adds
 * log(size) to its logits (proportional attention). Shapes stay static: block i leaves
 * T_i − r_i tokens.
 *
 * Schedules: `r=8` merges 8 tokens in every block, capped per block at (T−1)/2 the way ToMe does
 * (a remark says where); `r=8,8,4,...` gives one count per block (0 skips a block) and must fit
 * exactly; `blocks=2,3` restricts merging to those blocks, `r` then having one value or one per
 * listed block.
 */
export const Tome = definePass({
  name: 'tome',
  summary: 'ToMe token merging with proportional attention',
  options: {
    r: opt.ints('tokens merged per block: one value for every block, or one per block', { min: 0 }),
    blocks: opt.optional('ints', 'the blocks that merge (default: all)', { min: 0 }),
  },
  requires: ['attention-fused'],
  establishes: ['no-dead-code'],
  preserves: ['static-shapes', 'attention-fused', 'batchnorm-folded'],
  run: (g, o, ctx) => runTome(g, o.r, o.blocks, ctx),
});

function runTome(g: Graph, r: readonly number[], only: readonly number[] | undefined, ctx: PassContext): Graph {
  const structure = findBlocks(g);
  const blocks = structure.blocks;
  const targets = only ? [...new Set(only)].sort((a, b) => a - b) : blocks.map((b) => b.index);
  for (const i of targets) if (i >= blocks.length) fail(`tome: block ${i} does not exist; the model has ${blocks.length} blocks (0-${blocks.length - 1})`);
  if (r.length !== 1 && r.length !== targets.length)
    fail(`tome: r has ${r.length} values; give one for every block or one per ${only ? 'listed ' : ''}block (${targets.length})`);
  const uniform = r.length === 1;
  const reductions = new Map<VitBlock, BlockReduction>();
  const counts: number[] = [];
  const capped: string[] = [];
  let tokens = blocks[targets[0] ?? 0]?.tokens ?? 0;
  targets.forEach((i, k) => {
    const most = Math.floor((tokens - 1) / 2);
    let ri = uniform ? r[0]! : r[k]!;
    if (ri > most) {
      if (!uniform || k === 0) fail(`tome: r=${ri} is too large for block ${i}, which has ${tokens} tokens: at most ${most} can merge (the class token stays, and every merged token needs a partner)`);
      capped.push(`block ${i}: ${ri} → ${most}`);
      ri = most;
    }
    if (ri > 0) reductions.set(blocks[i]!, merging(ri));
    tokens -= ri;
    counts.push(tokens);
  });
  if (reductions.size === 0) return g;
  requireClassToken(g, blocks[0]!);
  if (capped.length) ctx.remark(`r capped where fewer tokens remain (${capped.join(', ')})`);
  ctx.remark(`tokens after each merging block: ${targets.map((i, k) => `${i}:${counts[k]}`).join(' ')}`);
  return reduceTokens(g, structure, reductions);
}

function merging(r: number): BlockReduction {
  return {
    clsStats: false,
    reduce: ({ b, block, tokens, keys }) => bipartiteMerge(b, tokens, keyMetric(b, keys, block.layout), r),
  };
}
