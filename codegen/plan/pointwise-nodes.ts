import { isFloat } from '../../ir/dtype.js';
import { isOp, type Node } from '../../ir/graph.js';
import * as E from '../../ir/ops/elementwise.js';
import { BatchNorm } from '../../ir/ops/norm.js';
import type { BinaryFn, EExpr, UnaryFn } from '../workload/expr.js';
import { reshape, type View } from './view.js';

const UNARY: readonly [unknown, UnaryFn][] = [
  [E.Neg, 'neg'],
  [E.Abs, 'abs'],
  [E.Exp, 'exp'],
  [E.Log, 'log'],
  [E.Sqrt, 'sqrt'],
  [E.Reciprocal, 'reciprocal'],
  [E.Erf, 'erf'],
  [E.Tanh, 'tanh'],
  [E.Sigmoid, 'sigmoid'],
  [E.Relu, 'relu'],
  [E.Silu, 'silu'],
  [E.HardSigmoid, 'hard_sigmoid'],
  [E.HardSwish, 'hard_swish'],
  [E.Floor, 'floor'],
  [E.Ceil, 'ceil'],
  [E.Not, 'not'],
];

const BINARY: readonly [unknown, BinaryFn][] = [
  [E.Add, 'add'],
  [E.Sub, 'sub'],
  [E.Mul, 'mul'],
  [E.Div, 'div'],
  [E.Pow, 'pow'],
  [E.Max, 'max'],
  [E.Min, 'min'],
  [E.Equal, 'equal'],
  [E.Less, 'less'],
  [E.Greater, 'greater'],
  [E.And, 'and'],
  [E.Or, 'or'],
];

/**
 * The pointwise expression a node computes from its operands (`leaf(i)` stands for operand i),
 * or undefined when the node is not pointwise. Kernels compute in f32: integer arithmetic
 * (mod, integer casts) is not pointwise here.
 */
export function pointwiseExpr(n: Node, leaf: (i: number) => EExpr): EExpr | undefined {
  for (const [op, fn] of UNARY) if (n.op === op) return { op: 'unary', fn, a: leaf(0) };
  for (const [op, fn] of BINARY) if (n.op === op) return { op: 'binary', fn, a: leaf(0), b: leaf(1) };
  if (isOp(n, E.Gelu)) return { op: 'unary', fn: n.attrs.approximate === 'tanh' ? 'gelu_tanh' : 'gelu', a: leaf(0) };
  if (isOp(n, E.Clip)) return { op: 'clip', a: leaf(0), lo: n.attrs.min ?? null, hi: n.attrs.max ?? null };
  if (isOp(n, E.Where)) return { op: 'where', cond: leaf(0), a: leaf(1), b: leaf(2) };
  if (isOp(n, E.Cast)) {
    const from = n.inputs[0]!.type.dtype;
    // Float-to-float casts are free in f32 compute; bool→float reads the 0/1 operand as is.
    if (isFloat(n.attrs.to) && (isFloat(from) || from === 'bool')) return leaf(0);
    return undefined;
  }
  if (isOp(n, BatchNorm)) {
    // (x − mean) / sqrt(var + ε) · scale + bias, per channel (operands broadcast along axis 1).
    const centred: EExpr = { op: 'binary', fn: 'sub', a: leaf(0), b: leaf(3) };
    const denom: EExpr = { op: 'unary', fn: 'sqrt', a: { op: 'binary', fn: 'add', a: leaf(4), b: { op: 'const', value: n.attrs.epsilon } } };
    const scaled: EExpr = { op: 'binary', fn: 'mul', a: { op: 'binary', fn: 'div', a: centred, b: denom }, b: leaf(1) };
    return { op: 'binary', fn: 'add', a: scaled, b: leaf(2) };
  }
  return undefined;
}

/** batch_norm's per-channel operands (1-4) broadcast along axis 1, not the last axis. */
export function channelwise(n: Node, i: number, view: View, outShape: readonly number[]): View {
  if (!isOp(n, BatchNorm) || i === 0) return view;
  return reshape(view, outShape.map((d, a) => (a === 1 ? d : 1)));
}
