import type { Dim } from '../ir/dim.js';
import { isOp, type Node, type Value } from '../ir/graph.js';
import { Conv, ConvTranspose } from '../ir/ops/conv.js';
import { Add } from '../ir/ops/elementwise.js';
import { MatMul } from '../ir/ops/matmul.js';
import { BatchNorm } from '../ir/ops/norm.js';
import { Reshape } from '../ir/ops/reshape.js';
import type { Tensor } from '../ir/tensor.js';
import { numbersOf, tensorFrom } from '../runtime/reference/kernels/storage.js';
import { definePass } from './pass.js';
import { type RewritePattern, type RewriteSite, rewriteGraph } from './rewrite.js';

/**
 * Folds an inference batch_norm into the layer that feeds it, when the batch_norm is that
 * layer's only user and every parameter is constant. With s = γ/√(σ²+ε) per channel:
 *   conv / conv_transpose:  w' = w·s (per output channel),  b' = (b − μ)·s + β
 *   matmul (+ add bias), channels last, optionally through a reshape that keeps the last axis
 *   (LeViT's Linear → flatten → BatchNorm1d):  W' = W·s (per column),  b' = (b − μ)·s + β
 */
export const FoldBatchNorm = definePass({
  name: 'fold-batchnorm',
  summary: 'fold inference batch_norm into the preceding conv, conv_transpose or matmul',
  options: {},
  requires: [],
  establishes: ['batchnorm-folded', 'no-dead-code'],
  preserves: ['static-shapes'],
  run: (g) => rewriteGraph(g, [foldIntoConv, foldIntoMatMul]),
});

/** Per-channel scale s and shift β − μ·s of a batch_norm with constant parameters. */
interface Affine {
  readonly scale: Float64Array;
  readonly shift: Float64Array;
}

export function bnAffine(n: Node, site: RewriteSite): Affine | undefined {
  if (!isOp(n, BatchNorm)) return undefined;
  const [gamma, beta, mean, variance] = n.inputs.slice(1).map((v) => site.constantOf(v));
  if (!gamma || !beta || !mean || !variance) return undefined;
  const [g, b, m, v] = [numbersOf(gamma), numbersOf(beta), numbersOf(mean), numbersOf(variance)];
  const c = gamma.size;
  const scale = new Float64Array(c);
  const shift = new Float64Array(c);
  for (let i = 0; i < c; i++) {
    scale[i] = g[i]! / Math.sqrt(v[i]! + n.attrs.epsilon);
    shift[i] = b[i]! - m[i]! * scale[i]!;
  }
  return { scale, shift };
}

/** The producer of `v` when `v` has exactly one user and is not a graph output. */
function soleProducer(site: RewriteSite, v: Value): Node | undefined {
  return site.hasSingleUse(v) ? site.graph.producer(v) : undefined;
}

/** Bias b' = b·s + shift, with b = 0 when absent. */
function foldedBias(bias: Tensor | undefined, dtype: Tensor['dtype'], bn: Affine): Tensor {
  const b = bias ? numbersOf(bias) : undefined;
  const out = bn.scale.map((s, c) => (b ? b[c]! : 0) * s + bn.shift[c]!);
  return tensorFrom(dtype, [bn.scale.length], out);
}

const foldIntoConv: RewritePattern = {
  name: 'batch_norm into conv',
  match(n, site) {
    const bn = bnAffine(n, site);
    const p = bn && soleProducer(site, n.inputs[0]!);
    if (!bn || !p) return undefined;
    const transposed = isOp(p, ConvTranspose) ? p : undefined;
    if (!transposed && !isOp(p, Conv)) return undefined;
    const w = site.constantOf(p.inputs[1]!);
    const b = p.inputs[2] && site.constantOf(p.inputs[2]);
    if (!w || (p.inputs[2] && !b)) return undefined;
    const wv = numbersOf(w);
    const out = new Float64Array(wv.length);
    const inner = w.shape.slice(2).reduce((x, y) => x * y, 1);
    if (!transposed) {
      // w: [cout, cin/group, k…]
      const perOut = w.size / w.shape[0]!;
      for (let i = 0; i < wv.length; i++) out[i] = wv[i]! * bn.scale[Math.floor(i / perOut)]!;
    } else {
      // w: [cin, cout/group, k…]; input channel ci of group gi feeds output channels gi·(cout/group) + j.
      const [cin, coutPerGroup] = [w.shape[0]!, w.shape[1]!];
      const cinPerGroup = cin / transposed.attrs.group;
      for (let i = 0; i < wv.length; i++) {
        const ci = Math.floor(i / (coutPerGroup * inner));
        const j = Math.floor(i / inner) % coutPerGroup;
        out[i] = wv[i]! * bn.scale[Math.floor(ci / cinPerGroup) * coutPerGroup + j]!;
      }
    }
    const w2 = site.constant(tensorFrom(w.dtype, w.shape, out));
    const b2 = site.constant(foldedBias(b, w.dtype, bn));
    return [site.add1(p.op, [p.inputs[0]!, w2, b2], p.attrs, { name: p.name, loc: p.loc })];
  },
};

/**
 * batch_norm over [M, C] (channels last) fed by matmul(a, W[K, C]), optionally plus a constant
 * bias that varies along the last axis only, optionally through a reshape to [M, C].
 */
const foldIntoMatMul: RewritePattern = {
  name: 'batch_norm into matmul',
  match(n, site) {
    const bn = bnAffine(n, site);
    const x = n.inputs[0]!;
    if (!bn || x.type.shape.length !== 2) return undefined;
    const c = bn.scale.length;
    let p = soleProducer(site, x);
    let reshape: { shape: readonly Dim[]; node: Node } | undefined;
    if (p && isOp(p, Reshape) && p.inputs[0]!.type.shape.at(-1) === c) {
      reshape = { shape: p.attrs.shape, node: p };
      p = soleProducer(site, p.inputs[0]!);
    }
    let bias: Tensor | undefined;
    let mm = p;
    if (p && isOp(p, Add)) {
      const [l, r] = p.inputs as [Value, Value];
      const lc = site.constantOf(l);
      const rc = site.constantOf(r);
      const [mmValue, b] = rc ? [l, rc] : lc ? [r, lc] : [undefined, undefined];
      if (!mmValue || !b || !isLastAxisVector(b, c) || b.shape.length > mmValue.type.shape.length) return undefined;
      bias = b;
      mm = soleProducer(site, mmValue);
    }
    if (!mm || !isOp(mm, MatMul)) return undefined;
    const w = site.constantOf(mm.inputs[1]!);
    if (!w || w.shape.length !== 2 || w.shape[1] !== c) return undefined;
    const wv = numbersOf(w);
    const scaled = new Float64Array(wv.length);
    for (let i = 0; i < wv.length; i++) scaled[i] = wv[i]! * bn.scale[i % c]!;
    const w2 = site.constant(tensorFrom(w.dtype, w.shape, scaled));
    const b2 = site.constant(foldedBias(bias?.reshape([c]), w.dtype, bn));
    let y = site.add1(Add, [site.add1(MatMul, [mm.inputs[0]!, w2], {}, { name: mm.name, loc: mm.loc }), b2], {});
    if (reshape) y = site.add1(Reshape, [y], { shape: reshape.shape }, { name: reshape.node.name, loc: reshape.node.loc });
    return [y];
  },
};

/** A constant of shape [c] or [1, …, 1, c]. */
function isLastAxisVector(t: Tensor, c: number): boolean {
  return t.shape.length >= 1 && t.shape.at(-1) === c && t.shape.slice(0, -1).every((d) => d === 1);
}
