import { VitcError } from '../ir/errors.js';
import { type Graph, isOp, nodeWhere, type Node, type Value } from '../ir/graph.js';
import { Const } from '../ir/ops/const.js';
import type { Tensor } from '../ir/tensor.js';
import { opt } from './options.js';
import { definePass } from './pass.js';
import { type RewritePattern, rewriteGraph } from './rewrite.js';
import { measureLocality } from './structural/attention-locality.js';
import { calibrationInputs } from './structural/calibration.js';
import { attentionNodes, matchVitAttention, type VitAttention } from './structural/match-vit-attention.js';
import { CENTRE_TAP, type Grid, buildFolded, gridOf, tapOffset } from './structural/spvit-fold.js';

/**
 * SPViT's attention-to-convolution pruning, training-free. A self-attention layer whose heads
 * each look at one fixed neighbour is a convolution: `{layers=0,2 kind=3x3 taps=4,1,3,5}` folds
 * the named layers (attention layers counted from 0 in graph order) with head h on tap taps[h]
 * (3x3 row-major, 4 = the token itself; kind=1x1 puts every head on 4). `{auto threshold=T}`
 * runs calibration inputs (calib=FILE.npy, default the bundled MNIST digits), measures each
 * head's attention mass on its dominant 3x3 offset, and folds every layer whose heads all reach
 * T, each head on its dominant offset. CLS (and any token before the patch grid) keeps its own
 * attention row. The fold is exact when the attention is one-hot; otherwise it is the
 * approximation SPViT fine-tunes from, and accuracy should be checked.
 */
export const AttnToConv = definePass({
    name: 'attn-to-conv',
    summary: 'replace local self-attention layers by convolutions (SPViT fold)',
    options: {
      layers: opt.optional('ints', 'attention layers to fold (0-based, graph order)', { min: 0 }),
      kind: opt.oneOf(['1x1', '3x3'] as const, 'convolution the named layers become', '3x3'),
      taps: opt.optional('ints', "3x3 tap of each head (row-major, 4 = the token itself); default all 4", { min: 0, max: 8 }),
      auto: opt.flag('choose the layers and taps from attention locality on calibration inputs'),
      threshold: opt.float('auto: fold a layer when every head puts at least this attention mass on one offset', { default: 0.5, min: 0, max: 1 }),
      calib: opt.optional('string', 'auto: float32 .npy calibration inputs [N, ...] (default: the bundled MNIST digits)'),
      samples: opt.int('auto: calibration inputs used', { default: 32, min: 1 }),
    },
    requires: ['static-shapes'],
    establishes: ['no-dead-code'],
    preserves: ['static-shapes'],
    run: (g, o, ctx) => {
      if (o.auto === (o.layers !== undefined)) throw new VitcError(o.auto ? "give either 'auto' or 'layers', not both" : "name the layers to fold (layers=0,1,...) or choose them with 'auto'");
      const nodes = attentionNodes(g);
      const constantOf = (v: Value) => constantValue(g, v);
      const plans = new Map<Node, { layer: VitAttention; grid: Grid; taps: number[]; kernel: 1 | 3 }>();
      const describe = (i: number) => `attention layer ${i}${nodes[i]?.name ? ` (${nodes[i]!.name})` : ''}`;
      const matched = (i: number): { layer: VitAttention; grid: Grid } => {
        const n = nodes[i];
        if (!n) throw new VitcError(`layer ${i} does not exist: the graph has ${nodes.length} attention layer(s) (run fuse-attention first)`);
        const r = matchVitAttention(g, n, constantOf);
        if (!r.ok) throw new VitcError(`${describe(i)} cannot become a convolution: ${r.reason}`, nodeWhere(n));
        const grid = gridOf(r.layer.tokens);
        if (!grid) throw new VitcError(`${describe(i)} cannot become a convolution: its ${r.layer.tokens} tokens are not a square grid (with or without one CLS token)`, nodeWhere(n));
        return { layer: r.layer, grid };
      };
      if (!o.auto) {
        for (const i of o.layers!) {
          const { layer, grid } = matched(i);
          const taps = o.kind === '1x1' ? Array(layer.heads).fill(CENTRE_TAP) : [...(o.taps ?? Array(layer.heads).fill(CENTRE_TAP))];
          if (taps.length !== layer.heads) throw new VitcError(`${describe(i)} has ${layer.heads} heads, taps gives ${taps.length}`, nodeWhere(layer.node));
          if (o.kind === '1x1' && o.taps?.some((t) => t !== CENTRE_TAP)) throw new VitcError(`kind=1x1 puts every head on tap 4; taps=${o.taps.join(',')} needs kind=3x3`);
          plans.set(layer.node, { layer, grid, taps, kernel: o.kind === '1x1' ? 1 : 3 });
        }
      } else {
        const candidates: { i: number; layer: VitAttention; grid: Grid }[] = [];
        nodes.forEach((n, i) => {
          const r = matchVitAttention(g, n, constantOf);
          const grid = r.ok ? gridOf(r.layer.tokens) : undefined;
          if (r.ok && grid) candidates.push({ i, layer: r.layer, grid });
          else ctx.remark(`${describe(i)}: not a patch-grid self-attention (${r.ok ? 'tokens not a square grid' : r.reason}); kept`);
        });
        const calib = calibrationInputs(g, o.calib, o.samples);
        const locality = measureLocality(g, candidates.map((c) => ({ node: c.layer.node, grid: c.grid })), calib);
        candidates.forEach(({ i, layer, grid }, c) => {
          const heads = locality[c]!.mass.map((m) => {
            const tap = m.indexOf(Math.max(...m));
            return { tap, mass: m[tap]! };
          });
          const min = Math.min(...heads.map((h) => h.mass));
          const fold = min >= o.threshold;
          const allCentre = heads.every((h) => h.tap === CENTRE_TAP);
          const kernel: 1 | 3 = allCentre ? 1 : 3;
          const perHead = heads.map((h, k) => `h${k} ${h.mass.toFixed(3)}@(${tapOffset(h.tap).join(',')})`).join(' ');
          ctx.remark(`${describe(i)}: locality ${min.toFixed(3)} [${perHead}] → ${fold ? `conv${kernel}x${kernel}` : 'kept'} (threshold ${o.threshold}, ${calib.length} calibration batch(es))`);
          if (fold) plans.set(layer.node, { layer, grid, taps: heads.map((h) => h.tap), kernel });
        });
      }
      if (plans.size === 0) return g;
      const byOutput = new Map([...plans.values()].map((p) => [p.layer.output, p]));
      const pattern: RewritePattern = {
        name: 'attention to convolution',
        match(n, site) {
          const p = n.outputs.length === 1 ? byOutput.get(n.outputs[0]!) : undefined;
          if (!p) return undefined;
          byOutput.delete(n.outputs[0]!);
          return [buildFolded(site, p.layer, p.grid, p.taps, p.kernel)];
        },
      };
      return rewriteGraph(g, [pattern]);
    },
});

function constantValue(g: Graph, v: Value): Tensor | undefined {
  const p = g.producer(v);
  return p && isOp(p, Const) ? p.attrs.value : undefined;
}
