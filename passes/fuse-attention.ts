import { shapesEqual } from '../ir/dim.js';
import type { Dim } from '../ir/dim.js';
import { isOp, type Node, type Value } from '../ir/graph.js';
import { Attention } from '../ir/ops/attention.js';
import { Add, Div, Mul } from '../ir/ops/elementwise.js';
import { MatMul } from '../ir/ops/matmul.js';
import { Expand, Reshape } from '../ir/ops/reshape.js';
import { Softmax } from '../ir/ops/softmax.js';
import { Transpose } from '../ir/ops/transpose.js';
import { Tensor } from '../ir/tensor.js';
import { definePass } from './pass.js';
import { type RewritePattern, type RewriteSite, rewriteGraph } from './rewrite.js';

/**
 * Raises `matmul(softmax(f(matmul(q·c, kᵀ))), v)` into one `attention(q, k, v, bias)` op, where f
 * is any chain of scalar scalings, additions of a bias (relative position biases, window masks) and
 * reshapes that return to the score shape (Swin's per-window mask). The scalings become the
 * op's scale; the added terms are brought into the score shape and summed into one bias operand
 * (constants fold later). kᵀ is undone with a transpose, which layout handling makes free.
 */
export const FuseAttention = definePass({
  name: 'fuse-attention',
  summary: 'raise matmul/softmax/matmul chains into attention ops',
  options: {},
  requires: [],
  establishes: ['attention-fused', 'no-dead-code'],
  preserves: ['static-shapes', 'batchnorm-folded', 'constants-folded'],
  run: (g) => rewriteGraph(g, [ATTENTION]),
});

type Step = { kind: 'reshape'; shape: readonly Dim[] } | { kind: 'add'; bias: Value; shape: readonly Dim[] } | { kind: 'scale'; factor: number };

function scalarConstant(site: RewriteSite, v: Value): number | undefined {
  const t = site.constantOf(v);
  return t && t.size === 1 && (t.dtype === 'f32' || t.dtype === 'f16') ? t.get(0) : undefined;
}

/** A multiplication or division of `v` by a scalar constant: the other operand and the factor. */
function scaling(site: RewriteSite, n: Node | undefined): { x: Value; factor: number } | undefined {
  if (!n || !(isOp(n, Mul) || isOp(n, Div))) return undefined;
  const [a, b] = n.inputs as [Value, Value];
  const cb = scalarConstant(site, b);
  if (cb !== undefined && shapesEqual(a.type.shape, n.outputs[0]!.type.shape)) return { x: a, factor: isOp(n, Div) ? 1 / cb : cb };
  const ca = isOp(n, Mul) ? scalarConstant(site, a) : undefined;
  if (ca !== undefined && shapesEqual(b.type.shape, n.outputs[0]!.type.shape)) return { x: b, factor: ca };
  return undefined;
}

const CHAIN_OPS = [MatMul, Reshape, Add, Mul, Div] as const;

function isChainNode(n: Node | undefined): boolean {
  return n !== undefined && CHAIN_OPS.some((op) => isOp(n, op));
}

const ATTENTION: RewritePattern = {
  name: 'attention',
  match(node, site) {
    if (!isOp(node, MatMul)) return undefined;
    const g = site.graph;
    const [p, v] = node.inputs as [Value, Value];
    const sm = g.producer(p);
    if (!sm || !isOp(sm, Softmax) || !site.hasSingleUse(p)) return undefined;
    const rank = p.type.shape.length;
    if ((sm.attrs.axis + rank) % rank !== rank - 1) return undefined;

    // Walk from the softmax input back to the score matmul, recording the chain in reverse.
    const steps: Step[] = [];
    let cur = sm.inputs[0]!;
    let scores: Node | undefined;
    for (let guard = 0; guard < 16 && !scores; guard++) {
      const n = g.producer(cur);
      if (!n || !site.hasSingleUse(cur)) return undefined;
      const out = n.outputs[0]!.type.shape;
      const scaled = scaling(site, n);
      if (isOp(n, MatMul)) scores = n;
      else if (isOp(n, Reshape)) {
        steps.push({ kind: 'reshape', shape: out });
        cur = n.inputs[0]!;
      } else if (scaled) {
        steps.push({ kind: 'scale', factor: scaled.factor });
        cur = scaled.x;
      } else if (isOp(n, Add)) {
        const [a, b] = n.inputs as [Value, Value];
        const chainFirst = isChainNode(g.producer(a)) && shapesEqual(a.type.shape, out);
        const chain = chainFirst ? a : b;
        if (!shapesEqual(chain.type.shape, out)) return undefined;
        steps.push({ kind: 'add', bias: chainFirst ? b : a, shape: out });
        cur = chain;
      } else return undefined;
    }
    if (!scores) return undefined;
    const scoreNode: Node = scores;
    const sShape = scoreNode.outputs[0]!.type.shape;
    if (!shapesEqual(sShape, sm.inputs[0]!.type.shape)) return undefined;

    let [q, kT] = scoreNode.inputs as [Value, Value];
    if (q.type.shape.length !== rank || kT.type.shape.length !== rank || v.type.shape.length !== rank) return undefined;
    let qScale = 1;
    const qs = scaling(site, g.producer(q));
    if (qs && site.hasSingleUse(q)) {
      q = qs.x;
      qScale = qs.factor;
    }
    const lead = sShape.slice(0, -2);
    if (![q, kT, v].every((t) => shapesEqual(t.type.shape.slice(0, -2), lead))) return undefined;

    // Replay the chain forwards: scores → a·S + Σ coefᵢ·biasᵢ.
    let a = 1;
    const terms: { bias: Value; shape: readonly Dim[]; coef: number }[] = [];
    for (const step of steps.reverse()) {
      if (step.kind === 'scale') {
        a *= step.factor;
        for (const t of terms) t.coef *= step.factor;
      } else if (step.kind === 'add') terms.push({ bias: step.bias, shape: step.shape, coef: 1 });
    }
    const perm = Array.from({ length: rank }, (_, i) => (i < rank - 2 ? i : 2 * rank - 3 - i));
    const k = site.add1(Transpose, [kT], { perm }, { name: scoreNode.name });
    let bias: Value | undefined;
    for (const t of terms) {
      let b = t.bias;
      if (!shapesEqual(b.type.shape, t.shape)) b = site.add1(Expand, [b], { shape: t.shape });
      if (!shapesEqual(t.shape, sShape)) b = site.add1(Reshape, [b], { shape: sShape });
      if (t.coef !== 1) b = site.add1(Mul, [b, site.constant(Tensor.scalar(b.type.dtype, t.coef))], {});
      bias = bias ? site.add1(Add, [bias, b], {}) : b;
    }
    return [site.add1(Attention, bias ? [q, k, v, bias] : [q, k, v], { scale: a * qScale }, { name: node.name })];
  },
};
