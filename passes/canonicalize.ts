import { shapesEqual } from '../ir/dim.js';
import { isOp, type Node, type Value } from '../ir/graph.js';
import { Concat } from '../ir/ops/concat.js';
import { Add, Cast, Div, Mul, Sub } from '../ir/ops/elementwise.js';
import { Dropout, Identity } from '../ir/ops/identity.js';
import { Expand, Reshape } from '../ir/ops/reshape.js';
import { Transpose } from '../ir/ops/transpose.js';
import type { Tensor } from '../ir/tensor.js';
import { typesEqual } from '../ir/types.js';
import { definePass } from './pass.js';
import { type RewritePattern, type RewriteSite, rewriteGraph } from './rewrite.js';

/**
 * Local simplifications that leave the graph in one normal form, applied to a fixpoint: no-op
 * nodes go (identity, inference dropout, reshape/expand/cast to what x already is, concat of one
 * operand, identity transposes, x*1, x/1, x+0, x-0), and chains collapse (reshape of reshape, transpose of transpose).
 * Adding 0 turns -0 into +0; that is the only bit that can change.
 */
export const Canonicalize = definePass({
  name: 'canonicalize',
  summary: 'remove no-op nodes and collapse reshape/transpose chains',
  options: {},
  requires: [],
  establishes: ['canonical', 'no-dead-code'],
  preserves: ['static-shapes'],
  run: (g) => rewriteGraph(g, CANONICAL_PATTERNS),
});

/** x when `n` computes exactly its operand x (same type). */
function forwardIf(n: Node, cond: boolean): readonly Value[] | undefined {
  const x = n.inputs[0]!;
  return cond && typesEqual(x.type, n.outputs[0]!.type) ? [x] : undefined;
}

const removeIdentity: RewritePattern = {
  name: 'identity',
  match: (n) => forwardIf(n, isOp(n, Identity) || isOp(n, Dropout)),
};

const removeNoopLayout: RewritePattern = {
  name: 'no-op reshape/expand/cast/concat/transpose',
  match: (n) =>
    forwardIf(
      n,
      isOp(n, Reshape) ||
        isOp(n, Expand) ||
        isOp(n, Cast) ||
        (isOp(n, Concat) && n.inputs.length === 1) ||
        (isOp(n, Transpose) && n.attrs.perm.every((p, i) => p === i)),
    ),
};

const reshapeOfReshape: RewritePattern = {
  name: 'reshape of reshape',
  match(n, site) {
    if (!isOp(n, Reshape)) return undefined;
    const inner = site.graph.producer(n.inputs[0]!);
    if (!inner || !isOp(inner, Reshape)) return undefined;
    const x = inner.inputs[0]!;
    if (shapesEqual(x.type.shape, n.attrs.shape)) return [x];
    return [site.add1(Reshape, [x], { shape: n.attrs.shape }, { name: n.name, loc: n.loc })];
  },
};

const transposeOfTranspose: RewritePattern = {
  name: 'transpose of transpose',
  match(n, site) {
    if (!isOp(n, Transpose)) return undefined;
    const inner = site.graph.producer(n.inputs[0]!);
    if (!inner || !isOp(inner, Transpose)) return undefined;
    // Result axis i is the inner result's axis perm[i], which is x's axis innerPerm[perm[i]].
    const perm = n.attrs.perm.map((p) => inner.attrs.perm[p]!);
    const x = inner.inputs[0]!;
    if (perm.every((p, i) => p === i)) return [x];
    return [site.add1(Transpose, [x], { perm }, { name: n.name, loc: n.loc })];
  },
};

/** x op c → x where c is a constant filled with `neutral` and the result has x's type. */
function neutralOperand(name: string, op: typeof Add, neutral: number, side: 'right' | 'either'): RewritePattern {
  return {
    name,
    match(n, site) {
      if (!isOp(n, op)) return undefined;
      const [a, b] = n.inputs as [Value, Value];
      const out = n.outputs[0]!;
      if (isFilled(site, b, neutral) && typesEqual(a.type, out.type)) return [a];
      if (side === 'either' && isFilled(site, a, neutral) && typesEqual(b.type, out.type)) return [b];
      return undefined;
    },
  };
}

function isFilled(site: RewriteSite, v: Value, x: number): boolean {
  const t: Tensor | undefined = site.constantOf(v);
  if (!t) return false;
  for (let i = 0; i < t.size; i++) if (t.get(i) !== x) return false;
  return true;
}

const CANONICAL_PATTERNS: readonly RewritePattern[] = [
  removeIdentity,
  removeNoopLayout,
  reshapeOfReshape,
  transposeOfTranspose,
  neutralOperand('x*1', Mul, 1, 'either'),
  neutralOperand('x/1', Div, 1, 'right'),
  neutralOperand('x+0', Add, 0, 'either'),
  neutralOperand('x-0', Sub, 0, 'right'),
];
