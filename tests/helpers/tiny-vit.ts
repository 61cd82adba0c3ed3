import { GraphBuilder } from '../../ir/builder.js';
import type { Dim } from '../../ir/dim.js';
import type { Graph, Value } from '../../ir/graph.js';
import { Add, Attention, Concat, Expand, Gather, Gelu, LayerNorm, MatMul, ReduceMean, Reshape, Transpose } from '../../ir/ops/index.js';
import { Tensor } from '../../ir/tensor.js';
import { tensorType } from '../../ir/types.js';
import { Rng } from './prng.js';

/**
 * A small timm-style ViT built directly in the IR (patch tokens in, logits out), and the same
 * model computed the straightforward way in plain JavaScript, with ToMe and PPT applied as the
 * method descriptions in docs/PAPERS.md say. Tests compare the passes against the JavaScript.
 */
export interface TinyVitSpec {
  readonly patches: number;
  readonly dim: number;
  readonly heads: number;
  readonly blocks: number;
  readonly classes: number;
  /** A class token in front (default) or mean pooling and no class token. */
  readonly cls?: boolean;
  readonly batch: Dim;
  readonly seed: number;
}

interface BlockWeights {
  ln1: [number[], number[]];
  qkv: number[][];
  qkvBias: number[];
  proj: number[][];
  projBias: number[];
  ln2: [number[], number[]];
  fc1: number[][];
  fc1Bias: number[];
  fc2: number[][];
  fc2Bias: number[];
}

export interface TinyVit {
  readonly spec: TinyVitSpec;
  readonly graph: Graph;
  readonly weights: {
    cls: number[];
    pos: number[][];
    blocks: BlockWeights[];
    ln: [number[], number[]];
    head: number[][];
    headBias: number[];
  };
}

type Mat = number[][];

function randMat(rng: Rng, rows: number, cols: number, scale: number): Mat {
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => rng.float(-scale, scale)));
}

function randVec(rng: Rng, n: number, scale: number, center = 0): number[] {
  return Array.from({ length: n }, () => center + rng.float(-scale, scale));
}

const f32 = (shape: number[], rows: readonly (readonly number[])[] | readonly number[]) => Tensor.f32(shape, (rows as number[][]).flat());

export function tinyVit(spec: TinyVitSpec): TinyVit {
  const rng = new Rng(spec.seed);
  const { dim: c, patches, heads, classes } = spec;
  const cls = spec.cls ?? true;
  const t = patches + (cls ? 1 : 0);
  const hid = 2 * c;
  const w = {
    cls: randVec(rng, c, 0.5),
    pos: randMat(rng, t, c, 0.3),
    blocks: Array.from({ length: spec.blocks }, () => ({
      ln1: [randVec(rng, c, 0.1, 1), randVec(rng, c, 0.1)] as [number[], number[]],
      qkv: randMat(rng, c, 3 * c, 1.5 / Math.sqrt(c)),
      qkvBias: randVec(rng, 3 * c, 0.1),
      proj: randMat(rng, c, c, 1 / Math.sqrt(c)),
      projBias: randVec(rng, c, 0.1),
      ln2: [randVec(rng, c, 0.1, 1), randVec(rng, c, 0.1)] as [number[], number[]],
      fc1: randMat(rng, c, hid, 1 / Math.sqrt(c)),
      fc1Bias: randVec(rng, hid, 0.1),
      fc2: randMat(rng, hid, c, 1 / Math.sqrt(hid)),
      fc2Bias: randVec(rng, c, 0.1),
    })),
    ln: [randVec(rng, c, 0.1, 1), randVec(rng, c, 0.1)] as [number[], number[]],
    head: randMat(rng, c, classes, 1 / Math.sqrt(c)),
    headBias: randVec(rng, classes, 0.1),
  };

  const b = new GraphBuilder('tiny_vit');
  const B = spec.batch;
  const x = b.input('x', tensorType('f32', [B, patches, c]));
  const k = (v: Tensor) => b.constant(v);
  let h: Value = x;
  if (cls) {
    const token = b.add1(Expand, [k(f32([1, 1, c], w.cls))], { shape: [B, 1, c] });
    h = b.add1(Concat, [token, x], { axis: 1 });
  }
  h = b.add1(Add, [h, k(f32([1, t, c], w.pos))], {});
  const dh = c / heads;
  const linear = (v: Value, m: Mat, bias: number[]) => b.add1(Add, [b.add1(MatMul, [v, k(f32([m.length, m[0]!.length], m))], {}), k(f32([bias.length], bias))], {});
  const norm = (v: Value, [g, be]: [number[], number[]]) => b.add1(LayerNorm, [v, k(f32([c], g)), k(f32([c], be))], { epsilon: 1e-6 });
  for (const bw of w.blocks) {
    const qkv = b.add1(Reshape, [linear(norm(h, bw.ln1), bw.qkv, bw.qkvBias)], { shape: [B, t, 3, heads, dh] });
    const split = b.add1(Transpose, [qkv], { perm: [2, 0, 3, 1, 4] });
    const pick = (i: number) => b.add1(Gather, [split, b.constant(Tensor.fromNumbers('i64', [], [i]))], { axis: 0 });
    const att = b.add1(Attention, [pick(0), pick(1), pick(2)], { scale: 1 / Math.sqrt(dh) });
    const merged = b.add1(Reshape, [b.add1(Transpose, [att], { perm: [0, 2, 1, 3] })], { shape: [B, t, c] });
    h = b.add1(Add, [h, linear(merged, bw.proj, bw.projBias)], {});
    const mlp = linear(b.add1(Gelu, [linear(norm(h, bw.ln2), bw.fc1, bw.fc1Bias)], { approximate: 'none' }), bw.fc2, bw.fc2Bias);
    h = b.add1(Add, [h, mlp], {});
  }
  h = norm(h, w.ln);
  const pooled = cls ? b.add1(Gather, [h, b.constant(Tensor.fromNumbers('i64', [], [0]))], { axis: 1 }) : b.add1(ReduceMean, [h], { axes: [1], keepdims: false });
  b.output(linear(pooled, w.head, w.headBias), 'logits');
  return { spec, graph: b.build(), weights: w };
}

// ---- the straightforward forward pass -------------------------------------------------------

/** Token reduction to apply in `forward`: per block, how many tokens ToMe merges or PPT removes. */
export interface Reduction {
  readonly tome?: readonly number[];
  readonly ppt?: { readonly layers: readonly number[]; readonly r: number; readonly tau: number };
  /** Told each PPT decision: the block, the importance variance and whether the image pooled. */
  readonly onPptChoice?: (block: number, variance: number, pooled: boolean) => void;
}

const dot = (a: readonly number[], b: readonly number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0);

function matvec(x: readonly number[], m: Mat, bias: readonly number[]): number[] {
  return bias.map((bv, j) => x.reduce((s, xv, i) => s + xv * m[i]![j]!, bv));
}

function layerNorm(x: readonly number[], [g, be]: [number[], number[]]): number[] {
  const mean = x.reduce((s, v) => s + v, 0) / x.length;
  const variance = x.reduce((s, v) => s + (v - mean) ** 2, 0) / x.length;
  return x.map((v, i) => ((v - mean) / Math.sqrt(variance + 1e-6)) * g[i]! + be[i]!);
}

function erf(z: number): number {
  let s = z;
  let term = z;
  for (let n = 1; n < 80; n++) {
    term *= (-z * z) / n;
    s += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * s;
}

const gelu = (v: number) => 0.5 * v * (1 + erf(v / Math.SQRT2));

/**
 * ToMe bipartite soft matching and size-weighted merge of one image, per docs/PAPERS.md:
 * metric rows normalised, A = even tokens (class token first), B = odd, the class token's
 * scores -inf, the r best-matched A tokens added into their B partners.
 */
export function tomeMerge(x: Mat, size: number[], metric: Mat, r: number): { x: Mat; size: number[] } {
  const unit = metric.map((m) => {
    const n = Math.sqrt(dot(m, m));
    return m.map((v) => v / n);
  });
  const a = unit.filter((_, i) => i % 2 === 0);
  const bSet = unit.filter((_, i) => i % 2 === 1);
  const nodeMax: number[] = [];
  const nodeIdx: number[] = [];
  a.forEach((ai, i) => {
    let best = -Infinity;
    let at = 0;
    bSet.forEach((bj, j) => {
      const s = i === 0 ? -Infinity : dot(ai, bj);
      if (s > best || j === 0) [best, at] = [s, j];
    });
    nodeMax.push(best);
    nodeIdx.push(at);
  });
  const order = nodeMax.map((_, i) => i).sort((p, q) => nodeMax[q]! - nodeMax[p]! || p - q);
  const src = order.slice(0, r);
  const unm = order.slice(r).sort((p, q) => p - q);
  const xs = x.map((row, i) => row.map((v) => v * size[i]!));
  const xa = xs.filter((_, i) => i % 2 === 0);
  const sa = size.filter((_, i) => i % 2 === 0);
  const xb = xs.filter((_, i) => i % 2 === 1).map((row) => [...row]);
  const sb = size.filter((_, i) => i % 2 === 1);
  src.forEach((s) => {
    const d = nodeIdx[s]!;
    xb[d] = xb[d]!.map((v, ch) => v + xa[s]![ch]!);
    sb[d]! += sa[s]!;
  });
  const outX = [...unm.map((u) => xa[u]!.map((v) => v / sa[u]!)), ...xb.map((row, j) => row.map((v) => v / sb[j]!))];
  return { x: outX, size: [...unm.map((u) => sa[u]!), ...sb] };
}

/** One image through the model, with the reduction applied. */
export function forward(model: TinyVit, patches: Mat, reduce: Reduction = {}): number[] {
  const { spec, weights: w } = model;
  const c = spec.dim;
  const heads = spec.heads;
  const dh = c / heads;
  const cls = spec.cls ?? true;
  let x: Mat = (cls ? [w.cls, ...patches] : patches).map((row, i) => row.map((v, ch) => v + w.pos[i]![ch]!));
  let size: number[] = x.map(() => 1);
  w.blocks.forEach((bw, blockIndex) => {
    const t = x.length;
    const qkv = x.map((row) => matvec(layerNorm(row, bw.ln1), bw.qkv, bw.qkvBias));
    const part = (which: number, h: number) => qkv.map((row) => row.slice(which * c + h * dh, which * c + (h + 1) * dh));
    const attnOut: Mat = x.map(() => new Array<number>(c).fill(0));
    const clsRow = new Array<number>(t).fill(0);
    const keyMean: Mat = x.map(() => new Array<number>(dh).fill(0));
    for (let h = 0; h < heads; h++) {
      const [q, k, v] = [part(0, h), part(1, h), part(2, h)];
      k.forEach((row, j) => row.forEach((val, d) => (keyMean[j]![d]! += val / heads)));
      for (let i = 0; i < t; i++) {
        const logits = k.map((kj, j) => dot(q[i]!, kj) / Math.sqrt(dh) + Math.log(size[j]!));
        const m = Math.max(...logits);
        const e = logits.map((l) => Math.exp(l - m));
        const sum = e.reduce((s2, v2) => s2 + v2, 0);
        const p = e.map((v2) => v2 / sum);
        if (i === 0) p.forEach((pv, j) => (clsRow[j]! += pv));
        for (let d = 0; d < dh; d++) attnOut[i]![h * dh + d] = p.reduce((s2, pv, j) => s2 + pv * v[j]![d]!, 0);
      }
    }
    x = x.map((row, i) => matvec(attnOut[i]!, bw.proj, bw.projBias).map((v, ch) => v + row[ch]!));
    const tome = reduce.tome?.[blockIndex] ?? 0;
    if (tome > 0) ({ x, size } = tomeMerge(x, size, keyMean, tome));
    const ppt = reduce.ppt;
    if (ppt && ppt.layers.includes(blockIndex)) {
      const r = Math.min(ppt.r, Math.floor((t - 1) / 2));
      if (r > 0) {
        const vnorm = qkv.map((row) => Math.sqrt(row.slice(2 * c, 3 * c).reduce((s2, v2) => s2 + v2 * v2, 0)));
        const score = clsRow.map((a, j) => a * vnorm[j]!);
        const patchesOnly = score.slice(1);
        const total = patchesOnly.reduce((s2, v2) => s2 + v2, 0);
        const share = patchesOnly.map((v2) => v2 / total);
        const mean = share.reduce((s2, v2) => s2 + v2, 0) / share.length;
        const variance = share.reduce((s2, v2) => s2 + (v2 - mean) ** 2, 0) / (share.length - 1);
        reduce.onPptChoice?.(blockIndex, variance, variance < ppt.tau);
        if (variance < ppt.tau) ({ x, size } = tomeMerge(x, size, keyMean, r));
        else {
          const kept = [0, ...patchesOnly.map((_, j) => j + 1).sort((p, q) => score[q]! - score[p]! || p - q).slice(0, t - 1 - r)].sort((p, q) => p - q);
          x = kept.map((j) => x[j]!);
          size = kept.map((j) => size[j]!);
        }
      }
    }
    x = x.map((row) => {
      const hidden = matvec(layerNorm(row, bw.ln2), bw.fc1, bw.fc1Bias).map(gelu);
      return matvec(hidden, bw.fc2, bw.fc2Bias).map((v, ch) => v + row[ch]!);
    });
  });
  const normed = x.map((row) => layerNorm(row, w.ln));
  const pooled = cls ? normed[0]! : normed[0]!.map((_, ch) => normed.reduce((s2, row) => s2 + row[ch]!, 0) / normed.length);
  return matvec(pooled, w.head, w.headBias);
}

/** Random patch tokens for `batch` images, as the graph input and as per-image matrices. */
export function randomPatches(spec: TinyVitSpec, batch: number, seed: number): { input: Tensor; images: Mat[] } {
  const rng = new Rng(seed);
  const images = Array.from({ length: batch }, () => randMat(rng, spec.patches, spec.dim, 1));
  return { input: f32([batch, spec.patches, spec.dim], images.flat()), images };
}

/**
 * A PPT threshold between the middle two images' importance variances at `block` (with PPT only
 * there), so that at that block half the batch pools and the other half prunes.
 */
export function splitTau(model: TinyVit, images: readonly Mat[], block: number, r: number): number {
  const variances = images.map((img) => {
    let v = NaN;
    forward(model, img, { ppt: { layers: [block], r, tau: 0 }, onPptChoice: (_b, variance) => (v = variance) });
    return v;
  });
  const sorted = [...variances].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return (sorted[mid - 1]! + sorted[mid]!) / 2;
}
