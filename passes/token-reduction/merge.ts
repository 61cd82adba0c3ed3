import type { GraphBuilder } from '../../ir/builder.js';
import type { Dim } from '../../ir/dim.js';
import type { Value } from '../../ir/graph.js';
import { Concat } from '../../ir/ops/concat.js';
import { Add, Div, Less, Mul, Sqrt, Sub, Where } from '../../ir/ops/elementwise.js';
import { GatherElements, ScatterAdd } from '../../ir/ops/gather-elements.js';
import { MatMul } from '../../ir/ops/matmul.js';
import { ReduceMean, ReduceSum } from '../../ir/ops/reduce.js';
import { Expand, Reshape } from '../../ir/ops/reshape.js';
import { Slice } from '../../ir/ops/slice.js';
import { TopK } from '../../ir/ops/top-k.js';
import { Transpose } from '../../ir/ops/transpose.js';
import { Tensor } from '../../ir/tensor.js';
import type { AttentionLayout } from './blocks.js';
import { perImage } from './layout.js';

/**
 * The graph pieces of ToMe and PPT, over the batch-first residual stream x [B, T, C] and token
 * sizes [B, T, 1] (how many original patches each token stands for; undefined = all 1).
 * Everything is per image: batch > 1 works, each image with its own matches and choices.
 */
export interface Tokens {
  readonly x: Value;
  readonly size: Value | undefined;
}

export interface ReducedTokens {
  readonly x: Value;
  readonly size: Value;
}

const OPEN_END = 2 ** 31 - 1;

function dims(v: Value): [Dim, number, number] {
  const [b, t, c] = v.type.shape as [Dim, number, number];
  return [b, t, c];
}

function everyOther(b: GraphBuilder, v: Value, start: number): Value {
  return b.add1(Slice, [v], { starts: [start], ends: [OPEN_END], axes: [1], steps: [2] });
}

function scalar(b: GraphBuilder, v: number): Value {
  return b.constant(Tensor.f32([], [v]));
}

/** Sizes of all-1 tokens, [B, T, 1]. */
export function unitSizes(b: GraphBuilder, x: Value): Value {
  const [batch, t] = dims(x);
  const ones = b.constant(new Tensor('f32', [1, t, 1], new Float32Array(t).fill(1)));
  return b.add1(Expand, [ones], { shape: [batch, t, 1] });
}

/** [B, K] indices as [B, K, width] for element-wise gathers of tokens. */
function tokenIndex(b: GraphBuilder, idx: Value, width: number): Value {
  const [batch, k] = idx.type.shape as [Dim, number];
  const col = b.add1(Reshape, [idx], { shape: [batch, k, 1] });
  return width === 1 ? col : b.add1(Expand, [col], { shape: [batch, k, width] });
}

function gatherTokens(b: GraphBuilder, x: Value, idx: Value): Value {
  return b.add1(GatherElements, [x, tokenIndex(b, idx, dims(x)[2])], { axis: 1 });
}

/** ToMe's metric: the keys averaged over heads, [B, T, d]. */
export function keyMetric(b: GraphBuilder, k: Value, layout: AttentionLayout): Value {
  return b.add1(ReduceMean, [perImage(b, k, layout)], { axes: [1], keepdims: false });
}

/**
 * ToMe's bipartite soft matching with size-weighted merging, removing r tokens per image:
 * tokens alternate into sets A (even, holding the class token) and B (odd); each A token's best
 * match in B is its most cosine-similar one; the r A tokens with the most similar matches are
 * added into their matches (x·size summed, then divided by the summed size); the other A tokens
 * are kept in their order, so the class token stays first. Result: [unmerged A..., B...].
 */
export function bipartiteMerge(b: GraphBuilder, tokens: Tokens, metric: Value, r: number): ReducedTokens {
  const { x } = tokens;
  const [batch, t, c] = dims(x);
  const ta = Math.ceil(t / 2);
  const size = tokens.size ?? unitSizes(b, x);

  const norm = b.add1(Sqrt, [b.add1(ReduceSum, [b.add1(Mul, [metric, metric], {})], { axes: [2], keepdims: true })], {});
  const unit = b.add1(Div, [metric, norm], {});
  const ma = everyOther(b, unit, 0);
  const mb = everyOther(b, unit, 1);
  let scores = b.add1(MatMul, [ma, b.add1(Transpose, [mb], { perm: [0, 2, 1] })], {});
  // The class token (A's row 0) must never merge: its best similarity is -inf, so it sorts last.
  const protect = new Float32Array(ta);
  protect[0] = -Infinity;
  scores = b.add1(Add, [scores, b.constant(new Tensor('f32', [ta, 1], protect))], {});
  const [best, bestIdx] = b.add(TopK, [scores], { k: 1 }) as [Value, Value];
  const nodeMax = b.add1(Reshape, [best], { shape: [batch, ta] });
  const nodeIdx = b.add1(Reshape, [bestIdx], { shape: [batch, ta] });
  const order = b.add(TopK, [nodeMax], { k: ta })[1]!;
  const src = b.add1(Slice, [order], { starts: [0], ends: [r], axes: [1] });
  const rest = b.add1(Slice, [order], { starts: [r], ends: [ta], axes: [1] });
  const unm = b.add(TopK, [rest], { k: ta - r, largest: false })[0]!;
  const dst = b.add1(GatherElements, [nodeIdx, src], { axis: 1 });

  const weighted = tokens.size ? b.add1(Mul, [x, size], {}) : x;
  const [xa, wa, wb] = [everyOther(b, x, 0), everyOther(b, weighted, 0), everyOther(b, weighted, 1)];
  const [sa, sb] = [everyOther(b, size, 0), everyOther(b, size, 1)];
  const srcX = gatherTokens(b, wa, src);
  const dstX = b.add1(ScatterAdd, [wb, tokenIndex(b, dst, c), srcX], { axis: 1 });
  const dstS = b.add1(ScatterAdd, [sb, tokenIndex(b, dst, 1), gatherTokens(b, sa, src)], { axis: 1 });
  return {
    x: b.add1(Concat, [gatherTokens(b, xa, unm), b.add1(Div, [dstX, dstS], {})], { axis: 1 }),
    size: b.add1(Concat, [gatherTokens(b, sa, unm), dstS], { axis: 1 }),
  };
}

/** Keeps `keep` tokens per image: the class token, then the patches of highest `score` [B, T]. */
export function prune(b: GraphBuilder, tokens: Tokens, score: Value, keep: number): ReducedTokens {
  const t = dims(tokens.x)[1];
  const first = new Float32Array(t);
  first[0] = Infinity;
  const ranked = b.add1(Add, [score, b.constant(new Tensor('f32', [t], first))], {});
  const idx = b.add(TopK, [ranked], { k: keep })[1]!;
  const size = tokens.size ?? unitSizes(b, tokens.x);
  return { x: gatherTokens(b, tokens.x, idx), size: gatherTokens(b, size, idx) };
}

/**
 * PPT's token importance s_j = (Σ_h A[h, cls, j]) · ‖v_j‖ (v over all heads), [B, T], from the
 * attention's class-token probabilities and per-head value norms ([lead..., T] each).
 */
export function clsImportance(b: GraphBuilder, probs: Value, vnorm: Value, layout: AttentionLayout): Value {
  const attn = b.add1(ReduceSum, [perImage(b, probs, layout)], { axes: [1], keepdims: false });
  const vh = perImage(b, vnorm, layout);
  const v = b.add1(Sqrt, [b.add1(ReduceSum, [b.add1(Mul, [vh, vh], {})], { axes: [1], keepdims: false })], {});
  return b.add1(Mul, [attn, v], {});
}

/**
 * PPT's per-image policy, [B, 1, 1] bool: pool (true) where the importance of the patch tokens,
 * normalised to sum 1, varies less than tau (sample variance, n − 1 in the denominator, as the
 * method's reference computes it); prune otherwise.
 */
export function poolingChosen(b: GraphBuilder, score: Value, tau: number): Value {
  const [batch, t] = score.type.shape as [Dim, number];
  const patches = b.add1(Slice, [score], { starts: [1], ends: [t], axes: [1] });
  const share = b.add1(Div, [patches, b.add1(ReduceSum, [patches], { axes: [1], keepdims: true })], {});
  const dev = b.add1(Sub, [share, scalar(b, 1 / (t - 1))], {});
  const squares = b.add1(ReduceSum, [b.add1(Mul, [dev, dev], {})], { axes: [1], keepdims: true });
  const variance = b.add1(Mul, [squares, scalar(b, 1 / Math.max(1, t - 2))], {});
  return b.add1(Reshape, [b.add1(Less, [variance, scalar(b, tau)], {})], { shape: [batch, 1, 1] });
}

/** Per image: `whenTrue` where cond [B, 1, 1], else `whenFalse`. */
export function choose(b: GraphBuilder, cond: Value, whenTrue: ReducedTokens, whenFalse: ReducedTokens): ReducedTokens {
  return { x: b.add1(Where, [cond, whenTrue.x, whenFalse.x], {}), size: b.add1(Where, [cond, whenTrue.size, whenFalse.size], {}) };
}
