import { fail } from '../ir/errors.js';
import { CascadedAttention } from '../ir/ops/cascaded-attention.js';
import { Tensor } from '../ir/tensor.js';
import { FoldBatchNorm } from './fold-batchnorm.js';
import { opt } from './options.js';
import { definePass } from './pass.js';
import { type RewritePattern, rewriteGraph } from './rewrite.js';
import { BATCHNORM_INTO_NEXT_LINEAR } from './structural/batchnorm-into-linear.js';
import { cascadedCandidate, matchCascaded } from './structural/match-cascaded.js';

/**
 * EfficientViT's sandwich blocks, fused for memory traffic. BatchNorms fold into their convs
 * (and the classifier's BatchNorm1d into the linear layer after it);
 * each cascaded group attention (per head: slice + previous head, 1x1 q/k/v conv, depthwise
 * filter of q, biased softmax attention; then ReLU, concat and the 1x1 projection) becomes one
 * `cascaded_attention` op, which the WebGPU target runs as one dispatch per block with the heads
 * in sequence inside the kernel; window partition and reverse around it stay layout ops, which
 * the planner turns into the kernel's indexing. The other memory-bound parts need no rewrite:
 * the planner already fuses a depthwise conv with its residual add, and each FFN conv with its
 * ReLU or residual add (two kernels per FFN).
 */
export const SandwichFuse = definePass({
  name: 'sandwich-fuse',
  summary: "fuse EfficientViT's cascaded group attention (and fold BatchNorm)",
  options: {
    strict: opt.flag('fail when no cascaded group attention is found, saying why each candidate did not match'),
  },
  requires: ['static-shapes'],
  establishes: ['batchnorm-folded', 'no-dead-code'],
  preserves: ['static-shapes'],
  run: (g, o, ctx) => {
    const folded = FoldBatchNorm.run(g, {}, ctx);
    const misses: string[] = [];
    let fused = 0;
    const pattern: RewritePattern = {
      name: 'cascaded group attention',
      match(n, site) {
        if (!cascadedCandidate(site.graph, n, site.constantOf)) return undefined;
        const r = matchCascaded(site.graph, n, site.constantOf);
        if (!r.ok) {
          misses.push(`${n.name ?? n.op.name}: ${r.reason}`);
          return undefined;
        }
        const m = r.match;
        const c = (shape: number[], data: Float64Array) => site.constant(Tensor.f32(shape, data));
        const rows = m.bQkv.length / m.heads;
        const channels = m.wProj.length / m.outChannels;
        const inputs = [
          m.x,
          c([m.heads, rows, channels / m.heads], m.wQkv),
          c([m.heads, rows], m.bQkv),
          c([m.heads, m.keyDim, m.kernelSide, m.kernelSide], m.wDw),
          c([m.heads, m.keyDim], m.bDw),
          c([m.heads, m.tokens, m.tokens], m.bias),
          c([m.outChannels, channels], m.wProj),
          c([m.outChannels], m.bProj),
        ];
        fused++;
        ctx.remark(`${n.name ?? 'projection'}: ${m.heads} heads (key ${m.keyDim}, kernels ${m.kernels.join('/')}) over ${m.tokens} positions → cascaded_attention`);
        return [site.add1(CascadedAttention, inputs, { heads: m.heads, key_dim: m.keyDim, kernels: m.kernels, scale: m.scale, activation: m.activation }, { name: n.name, loc: n.loc })];
      },
    };
    const out = rewriteGraph(folded, [pattern, BATCHNORM_INTO_NEXT_LINEAR]);
    for (const miss of misses) ctx.remark(`not fused: ${miss}`);
    if (o.strict && fused === 0)
      fail(misses.length ? `no cascaded group attention matched: ${misses.join('; ')}` : 'no cascaded group attention found (no 1x1 convolution of a channel concatenation)');
    return out;
  },
});
