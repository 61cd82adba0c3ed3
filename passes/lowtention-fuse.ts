import { fail } from '../ir/errors.js';
import { isOp, type Node, type Value } from '../ir/graph.js';
import { Conv, ConvTranspose } from '../ir/ops/conv.js';
import { DwPointwiseConv } from '../ir/ops/dw-pointwise-conv.js';
import { Slice, sliceRanges } from '../ir/ops/slice.js';
import { Tensor } from '../ir/tensor.js';
import { FoldBatchNorm } from './fold-batchnorm.js';
import { opt } from './options.js';
import { definePass } from './pass.js';
import { type RewritePattern, type RewriteSite, rewriteGraph } from './rewrite.js';
import { isPointwiseConv } from './structural/match-cascaded.js';

/**
 * LowFormer's lowtention, fused for memory traffic. BatchNorms fold into their convs; the
 * stride-s depthwise reduction and the 1x1 QKV projection after it become one
 * `dw_pointwise_conv` (one kernel: the reduced map never goes to memory); the crop after the
 * transposed-convolution upsampling becomes part of the transposed convolution (its output
 * padding), so upsampling, crop, bias and the residual add are one kernel. Both rewrites are
 * exact and apply wherever the pattern occurs.
 */
export const LowtentionFuse = definePass({
  name: 'lowtention-fuse',
  summary: 'fuse depthwise conv + 1x1 conv, and a crop into its transposed convolution',
  options: {
    strict: opt.flag('fail when the graph has no depthwise + 1x1 conv pair and no cropped transposed convolution'),
  },
  requires: ['static-shapes'],
  establishes: ['batchnorm-folded', 'no-dead-code'],
  preserves: ['static-shapes'],
  run: (g, o, ctx) => {
    let pairs = 0;
    let crops = 0;
    const out = rewriteGraph(FoldBatchNorm.run(g, {}, ctx), [DW_POINTWISE, CROP_INTO_CONV_TRANSPOSE], {
      onApply: (p) => (p === DW_POINTWISE.name ? pairs++ : crops++),
    });
    if (o.strict && pairs + crops === 0)
      fail('no lowtention found: no depthwise conv feeding (as its only use) a 1x1 conv, and no transposed convolution followed by a spatial crop');
    if (pairs + crops > 0) ctx.remark(`${pairs} depthwise + 1x1 conv pair(s) fused, ${crops} crop(s) folded into transposed convolutions`);
    return out;
  },
});

/** A depthwise conv (group = in = out channels, [C, 1, k…] constant weight) whose result has one use. */
function depthwiseProducer(site: RewriteSite, v: Value): Node | undefined {
  const p = site.hasSingleUse(v) ? site.graph.producer(v) : undefined;
  if (!p || !isOp(p, Conv)) return undefined;
  const w = site.constantOf(p.inputs[1]!);
  const c = p.inputs[0]!.type.shape[1];
  const ok = w !== undefined && w.shape[1] === 1 && w.shape[0] === c && p.attrs.group === c && p.outputs[0]!.type.shape[1] === c;
  return ok && (p.inputs[2] === undefined || site.constantOf(p.inputs[2]) !== undefined) ? p : undefined;
}

const DW_POINTWISE: RewritePattern = {
  name: 'depthwise conv + 1x1 conv',
  match(n, site) {
    if (!isPointwiseConv(n, site.constantOf)) return undefined;
    const dw = depthwiseProducer(site, n.inputs[0]!);
    if (!dw || !isOp(dw, Conv)) return undefined;
    const c = dw.inputs[0]!.type.shape[1] as number;
    const outChannels = n.outputs[0]!.type.shape[1] as number;
    const zeros = (k: number) => site.constant(new Tensor('f32', [k]));
    const inputs = [dw.inputs[0]!, dw.inputs[1]!, dw.inputs[2] ?? zeros(c), n.inputs[1]!, n.inputs[2] ?? zeros(outChannels)];
    return [site.add1(DwPointwiseConv, inputs, { strides: dw.attrs.strides, pads: dw.attrs.pads, dilations: dw.attrs.dilations }, { name: n.name, loc: n.loc })];
  },
};

/** slice(conv_transpose(x)) with unit steps on spatial axes only = conv_transpose with larger pads. */
const CROP_INTO_CONV_TRANSPOSE: RewritePattern = {
  name: 'crop into transposed convolution',
  match(n, site) {
    if (!isOp(n, Slice)) return undefined;
    const x = n.inputs[0]!;
    const ct = site.hasSingleUse(x) ? site.graph.producer(x) : undefined;
    if (!ct || !isOp(ct, ConvTranspose)) return undefined;
    const full = x.type.shape as number[];
    if (!full.every((d) => typeof d === 'number')) return undefined;
    const ranges = sliceRanges(full, n.attrs);
    if (ranges.some((r, a) => r.step !== 1 || (a < 2 && (r.start !== 0 || r.count !== full[a])))) return undefined;
    const r = full.length - 2;
    const pads = [...ct.attrs.pads];
    for (let i = 0; i < r; i++) {
      const { start, count } = ranges[2 + i]!;
      pads[i] = pads[i]! + start;
      pads[r + i] = pads[r + i]! + full[2 + i]! - start - (count as number);
    }
    return [site.add1(ConvTranspose, ct.inputs, { ...ct.attrs, pads }, { name: ct.name, loc: ct.loc })];
  },
};
