import { allStatic, normAxis } from '../dim.js';
import type { Graph, Node, Value } from '../graph.js';
import { isOp } from '../graph.js';
import { Add, Div, LayerNorm, Mul, Pow, ReduceMean, Sqrt, Sub } from '../ops/index.js';
import { Tensor } from '../tensor.js';
import { constOf, nearly, otherOperand, producedBy, type Rewrite, rewriteTypeChecks, scalarOf, singleUse, soleUserIs } from './recognize-match.js';

/**
 * Finds LayerNorm decomposed into primitives (how PyTorch exports it before opset 17):
 *
 *   mean = ReduceMean(x, axes)          d = Sub(x, mean)
 *   var  = ReduceMean(Pow(d, 2), axes)  (or Mul(d, d))
 *   n    = Div(d, Sqrt(Add(var, eps)))
 *   y    = Add(Mul(n, scale), bias)      (scale and bias optional, constants)
 *
 * with the axes the trailing ones, and rewrites each into one `layer_norm`.
 */
export function findLayerNorms(g: Graph): Rewrite[] {
  const out: Rewrite[] = [];
  for (const n of g.nodes) {
    if (!isOp(n, Div)) continue;
    const r = matchAt(g, n);
    if (r) out.push(r);
  }
  return out;
}

function matchAt(g: Graph, div: Node): Rewrite | undefined {
  const [d, s] = div.inputs as [Value, Value];
  const sub = producedBy(g, d, Sub);
  if (!sub) return undefined;
  const [x, mean] = sub.inputs as [Value, Value];
  const meanNode = producedBy(g, mean, ReduceMean);
  if (!meanNode || meanNode.inputs[0] !== x || !singleUse(g, mean)) return undefined;

  const sqrt = producedBy(g, s, Sqrt);
  if (!sqrt || !singleUse(g, s)) return undefined;
  const addEps = producedBy(g, sqrt.inputs[0]!, Add);
  if (!addEps || !singleUse(g, sqrt.inputs[0]!)) return undefined;
  let variance: Value | undefined;
  let eps: number | undefined;
  for (const [a, b] of [addEps.inputs, [...addEps.inputs].reverse()] as [Value, Value][]) {
    const e = scalarOf(g, b);
    if (e !== undefined && producedBy(g, a, ReduceMean)) [variance, eps] = [a, e];
  }
  if (!variance || eps === undefined || !singleUse(g, variance)) return undefined;
  const varNode = producedBy(g, variance, ReduceMean)!;
  const sq = varNode.inputs[0]!;
  if (!singleUse(g, sq)) return undefined;
  const pow = producedBy(g, sq, Pow);
  const mulSq = producedBy(g, sq, Mul);
  const squares = (pow && pow.inputs[0] === d && nearly(scalarOf(g, pow.inputs[1]!), 2)) || (mulSq && mulSq.inputs[0] === d && mulSq.inputs[1] === d);
  if (!squares) return undefined;
  // d feeds exactly the square and the division.
  const dUsers = g.users(d);
  if (g.isOutput(d) || dUsers.length !== 2 || !dUsers.includes(div)) return undefined;

  const rank = x.type.shape.length;
  const axes = trailingAxes(meanNode.attrs.axes, rank);
  if (axes === undefined || !meanNode.attrs.keepdims || !varNode.attrs.keepdims) return undefined;
  if (trailingAxes(varNode.attrs.axes, rank) !== axes) return undefined;

  const normShape = x.type.shape.slice(axes);
  if (!allStatic(normShape)) return undefined;
  const absorbed: Node[] = [meanNode, sub, pow ?? mulSq!, varNode, addEps, sqrt, div];
  let root: Node = div;
  let scale: Value | Tensor = ones(normShape, x.type.dtype);
  let bias: Value | Tensor | undefined;
  const mul = soleUserIs(g, div.outputs[0]!, Mul);
  const w = mul && otherOperand(mul, div.outputs[0]!);
  if (mul && w && constOf(g, w)) {
    scale = fitAffine(w, constOf(g, w)!, normShape);
    root = mul;
    absorbed.push(mul);
    const add = soleUserIs(g, mul.outputs[0]!, Add);
    const bv = add && otherOperand(add, mul.outputs[0]!);
    if (add && bv && constOf(g, bv)) {
      bias = fitAffine(bv, constOf(g, bv)!, normShape);
      root = add;
      absorbed.push(add);
    }
  }
  const operands = bias ? [x, scale, bias] : [x, scale];
  const r = { root, op: LayerNorm, operands, attrs: { axis: axes, epsilon: eps } };
  if (!rewriteTypeChecks(r)) return undefined;
  return { ...r, absorbed };
}

/** The first axis if `axes` are exactly [a, rank) (after normalising negatives), else undefined. */
function trailingAxes(axes: readonly number[], rank: number): number | undefined {
  if (!axes.length) return undefined;
  let norm: number[];
  try {
    norm = axes.map((a) => normAxis(a, rank)).sort((p, q) => p - q);
  } catch {
    return undefined;
  }
  return norm.every((a, i) => a === rank - norm.length + i) ? norm[0] : undefined;
}

/** A scale/bias for layer_norm: the constant as is, or reshaped without leading 1s ([1,1,C] → [C]). */
function fitAffine(v: Value, t: Tensor, normShape: readonly number[]): Value | Tensor {
  if (t.rank <= normShape.length) return v;
  let shape = [...t.shape];
  while (shape.length > normShape.length && shape[0] === 1) shape = shape.slice(1);
  return t.reshape(shape);
}

function ones(shape: readonly number[], dtype: Tensor['dtype']): Tensor {
  return Tensor.fromNumbers(dtype, shape, new Array<number>(shape.reduce((a, b) => a * b, 1)).fill(1));
}
