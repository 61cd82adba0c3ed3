import type { Graph, Node, Value } from '../../ir/graph.js';
import { isOp } from '../../ir/graph.js';
import { Attention } from '../../ir/ops/attention.js';
import { Add } from '../../ir/ops/elementwise.js';
import { MatMul } from '../../ir/ops/matmul.js';
import type { Tensor } from '../../ir/tensor.js';
import { numbersOf } from '../../runtime/reference/kernels/storage.js';
import { traceLayout, unravel } from './trace-layout.js';

/**
 * A ViT multi-head self-attention layer as `fuse-attention` leaves it:
 *
 *   qkv = x·W + b  (one or three linear layers);  q, k, v = head slices of qkv  [B, h, T, d]
 *   o = attention(q, k, v);  y = (o rearranged to [B, T, h·d])·W_proj + b_proj
 *
 * with every rearrangement checked element by element (traceLayout). What the SPViT fold and the
 * locality measurement need: the input x, the value and projection weights per head, and y.
 */
export interface VitAttention {
  readonly node: Node;
  /** The tokens the value projection reads, [B, T, C]. */
  readonly x: Value;
  readonly heads: number;
  readonly headDim: number;
  readonly tokens: number;
  /** Value weights of head h as [C, d] row-major, and biases [d]. */
  readonly wV: readonly Float64Array[];
  readonly bV: readonly Float64Array[];
  /** Projection rows that multiply head h's output, as [d, Cout], and the projection bias. */
  readonly wP: readonly Float64Array[];
  readonly bP: Float64Array;
  readonly outChannels: number;
  /** The layer's output y [B, T, Cout], which the fold replaces. */
  readonly output: Value;
}

export type VitAttentionResult = { readonly ok: true; readonly layer: VitAttention } | { readonly ok: false; readonly reason: string };
type ConstantOf = (v: Value) => Tensor | undefined;

interface Linear {
  readonly x: Value;
  /** [Cin, Cout] row-major. */
  readonly w: ArrayLike<number>;
  readonly b: ArrayLike<number>;
  readonly cin: number;
  readonly cout: number;
  readonly out: Value;
}

/** v = x·W (+ b) with W a constant [Cin, Cout] and b a constant [Cout] (either operand order). */
function linearOf(g: Graph, v: Value, constantOf: ConstantOf): Linear | undefined {
  let p = g.producer(v);
  let bias: Tensor | undefined;
  if (p && isOp(p, Add)) {
    const [a, b] = p.inputs as [Value, Value];
    bias = constantOf(a) ?? constantOf(b);
    const other = constantOf(a) ? b : a;
    if (!bias || bias.rank !== 1) return undefined;
    p = g.producer(other);
  }
  if (!p || !isOp(p, MatMul)) return undefined;
  const w = constantOf(p.inputs[1]!);
  if (!w || w.rank !== 2 || constantOf(p.inputs[0]!)) return undefined;
  const [cin, cout] = w.shape as [number, number];
  if (bias && bias.shape[0] !== cout) return undefined;
  return { x: p.inputs[0]!, w: numbersOf(w), b: bias ? numbersOf(bias) : new Float64Array(cout), cin, cout, out: v };
}

/**
 * For a [B, h, T, d] value traced to a [B, T, F] source: the source feature of each (head, dim),
 * or undefined unless every token and batch row reads the same features of its own token.
 */
function headColumns(g: Graph, v: Value, source: Value, constantOf: ConstantOf): number[][] | undefined {
  const t = traceLayout(g, v, constantOf, (u) => u === source);
  if (t.source !== source) return undefined;
  const vs = v.type.shape as number[];
  const ss = source.type.shape as number[];
  if (vs.length !== 4 || ss.length !== 3) return undefined;
  const [bn, h, tn, d] = vs as [number, number, number, number];
  const cols = Array.from({ length: h }, () => new Array<number>(d).fill(-1));
  for (let e = 0; e < t.map.length; e++) {
    const [b, hh, tt, i] = unravel(e, vs) as [number, number, number, number];
    if (t.map[e]! === 0) return undefined;
    const [sb, st, sf] = unravel(t.map[e]! - 1, ss) as [number, number, number];
    if (sb !== b || st !== tt || sb >= bn || tn !== ss[1]) return undefined;
    if (cols[hh]![i] === -1) cols[hh]![i] = sf;
    else if (cols[hh]![i] !== sf) return undefined;
  }
  return cols;
}

/** The single chain of layout-only users from `v` to the matmul that consumes it. */
function projectionAfter(g: Graph, v: Value, constantOf: ConstantOf): Linear | undefined {
  let cur = v;
  for (let guard = 0; guard < 8; guard++) {
    const users = g.users(cur);
    if (users.length !== 1 || g.isOutput(cur)) return undefined;
    const u = users[0]!;
    if (isOp(u, MatMul)) {
      const add = g.users(u.outputs[0]!);
      const out = add.length === 1 && isOp(add[0]!, Add) && !g.isOutput(u.outputs[0]!) ? add[0]!.outputs[0]! : u.outputs[0]!;
      const lin = linearOf(g, out, constantOf) ?? linearOf(g, u.outputs[0]!, constantOf);
      return lin && lin.x === cur ? lin : undefined;
    }
    if (u.op.traits?.layout !== true || u.inputs[0] !== cur || u.outputs.length !== 1) return undefined;
    cur = u.outputs[0]!;
  }
  return undefined;
}

export function matchVitAttention(g: Graph, node: Node, constantOf: ConstantOf): VitAttentionResult {
  if (!isOp(node, Attention)) return { ok: false, reason: `it is a '${node.op.name}', not an attention` };
  const [q, k, v] = node.inputs as [Value, Value, Value];
  if (![q, k, v].every((x) => x.type.shape.length === 4 && x.type.shape.every((d) => typeof d === 'number')))
    return { ok: false, reason: 'q, k and v are not static [B, heads, tokens, dim] tensors' };
  const vSource = traceLayout(g, v, constantOf).source;
  const lin = linearOf(g, vSource, constantOf);
  if (!lin) return { ok: false, reason: 'the values are not a linear layer (x·W + b) rearranged into heads' };
  const cols = headColumns(g, v, vSource, constantOf);
  if (!cols) return { ok: false, reason: "the values are not per-head feature slices of each token's own projection" };
  const [, h, tokens, d] = v.type.shape as [number, number, number, number];
  if ((q.type.shape[2] as number) !== tokens) return { ok: false, reason: 'it is not self-attention (queries and keys differ in count)' };
  const proj = projectionAfter(g, node.outputs[0]!, constantOf);
  if (!proj) return { ok: false, reason: 'its output does not go through layout ops into one projection x·W + b' };
  // Which (head, dim) feeds each projection input feature.
  const back = traceLayout(g, proj.x, constantOf, (u) => u === node.outputs[0]);
  const os = node.outputs[0]!.type.shape as number[];
  const ps = proj.x.type.shape as number[];
  if (back.source !== node.outputs[0] || ps.length !== 3 || ps[2] !== h * d) return { ok: false, reason: 'the projection does not read the heads as [B, T, heads·dim]' };
  const feature = new Int32Array(h * d).fill(-1);
  for (let e = 0; e < back.map.length; e++) {
    const [b, t, f] = unravel(e, ps) as [number, number, number];
    const src = back.map[e]! - 1;
    const [sb, hh, st, i] = unravel(Math.max(src, 0), os) as [number, number, number, number];
    const ok = src >= 0 && sb === b && st === t && (feature[f] === -1 || feature[f] === hh * d + i);
    if (!ok) return { ok: false, reason: "the projection's input is not each token's heads concatenated" };
    feature[f] = hh * d + i;
  }
  const c = lin.cin;
  const cout = proj.cout;
  const wV = cols.map((hc) => {
    const w = new Float64Array(c * d);
    for (let ci = 0; ci < c; ci++) for (let i = 0; i < d; i++) w[ci * d + i] = lin.w[ci * lin.cout + hc[i]!]!;
    return w;
  });
  const bV = cols.map((hc) => Float64Array.from(hc, (col) => lin.b[col]!));
  const wP = Array.from({ length: h }, () => new Float64Array(d * cout));
  for (let f = 0; f < h * d; f++) {
    const hh = Math.floor(feature[f]! / d);
    const i = feature[f]! % d;
    for (let o = 0; o < cout; o++) wP[hh]![i * cout + o] = proj.w[f * cout + o]!;
  }
  return { ok: true, layer: { node, x: lin.x, heads: h, headDim: d, tokens, wV, bV, wP, bP: Float64Array.from(proj.b), outChannels: cout, output: proj.out } };
}

/** Every attention node of the graph, in order: layer i of `attn-to-conv{layers=...}`. */
export function attentionNodes(g: Graph): Node[] {
  return g.nodes.filter((n) => isOp(n, Attention));
}
