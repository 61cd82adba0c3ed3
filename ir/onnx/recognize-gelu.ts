import { isFloat } from '../dtype.js';
import { type Graph, isOp, type Node, type Value } from '../graph.js';
import { Add, Div, Erf, Gelu, Mul } from '../ops/index.js';
import { nearly, otherOperand, producedBy, type Rewrite, rewriteTypeChecks, scalarOf, singleUse } from './recognize-match.js';

/**
 * Finds the exact GELU written with erf, as PyTorch exports it:
 *
 *   h = Add(Erf(Div(x, √2)), 1)        (or Mul(x, 1/√2); Add operands in either order)
 *   y = Mul(Mul(x, h), 0.5)            (the three factors x, h, 0.5 in any grouping and order)
 *
 * and rewrites each into one `gelu` (approximate: none).
 */
export function findGelus(g: Graph): Rewrite[] {
  const out: Rewrite[] = [];
  for (const n of g.nodes) {
    if (!isOp(n, Mul)) continue;
    const r = matchAt(g, n);
    if (r) out.push(r);
  }
  return out;
}

function matchAt(g: Graph, root: Node): Rewrite | undefined {
  for (const [inner, outer] of [root.inputs, [...root.inputs].reverse()] as [Value, Value][]) {
    const innerMul = producedBy(g, inner, Mul);
    if (!innerMul || !singleUse(g, inner)) continue;
    const factors = [innerMul.inputs[0]!, innerMul.inputs[1]!, outer];
    const m = classify(g, factors);
    if (!m) continue;
    const r = { root, op: Gelu, operands: [m.x], attrs: { approximate: 'none' } };
    if (!isFloat(m.x.type.dtype) || !rewriteTypeChecks(r)) continue;
    return { ...r, absorbed: [root, innerMul, ...m.nodes] };
  }
  return undefined;
}

/** Among three factors, finds 0.5, x and h = 1 + erf(x/√2); returns x and the nodes of h. */
function classify(g: Graph, factors: readonly Value[]): { x: Value; nodes: Node[] } | undefined {
  const half = factors.findIndex((v) => nearly(scalarOf(g, v), 0.5));
  if (half < 0) return undefined;
  const rest = factors.filter((_, i) => i !== half);
  for (const [x, h] of [rest, [...rest].reverse()] as [Value, Value][]) {
    const nodes = erfTerm(g, h, x);
    if (nodes) return { x, nodes };
  }
  return undefined;
}

/** Nodes computing h = 1 + erf(x/√2) from x, each used only within the pattern. */
function erfTerm(g: Graph, h: Value, x: Value): Node[] | undefined {
  const add = producedBy(g, h, Add);
  if (!add || !singleUse(g, h)) return undefined;
  for (const e of add.inputs) {
    if (!nearly(scalarOf(g, otherOperand(add, e)!), 1)) continue;
    const erf = producedBy(g, e, Erf);
    if (!erf || !singleUse(g, e)) continue;
    const scaled = erf.inputs[0]!;
    if (!singleUse(g, scaled)) continue;
    const div = producedBy(g, scaled, Div);
    if (div && div.inputs[0] === x && nearly(scalarOf(g, div.inputs[1]!), Math.SQRT2)) return [add, erf, div];
    const mul = producedBy(g, scaled, Mul);
    if (mul && otherOperand(mul, x) !== undefined && nearly(scalarOf(g, otherOperand(mul, x)!), Math.SQRT1_2)) return [add, erf, mul];
  }
  return undefined;
}
