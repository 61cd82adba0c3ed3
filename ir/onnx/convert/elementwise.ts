import type { AttrsIn } from '../../attrs.js';
import { VitcError } from '../../errors.js';
import type { OpDef } from '../../op.js';
import {
  Abs,
  Add,
  And,
  Cast,
  Ceil,
  Clip,
  Div,
  Dropout,
  Equal,
  Erf,
  Exp,
  Floor,
  Greater,
  HardSigmoid,
  HardSwish,
  Identity,
  Less,
  Log,
  Max,
  Min,
  Mod,
  Mul,
  Neg,
  Not,
  Or,
  Pow,
  Reciprocal,
  Relu,
  Sigmoid,
  Sqrt,
  Sub,
  Tanh,
  Where,
} from '../../ops/index.js';
import { Tensor } from '../../tensor.js';
import type { NodeContext } from '../context.js';
import { knownConst, type Known } from '../known-values.js';
import { dtypeFromOnnx } from '../tensor-proto.js';
import type { ConverterTable, ConvertFn } from './types.js';

type NoAttrs = AttrsIn<Record<string, never>>;

function unary(op: OpDef): ConvertFn {
  return (ctx) => [ctx.emit1(op, [ctx.input(0)], {} as NoAttrs)];
}

function binary(op: OpDef): ConvertFn {
  return (ctx) => [ctx.emit1(op, [ctx.input(0), ctx.input(1)], {} as NoAttrs)];
}

/** Max, Min, Sum take one or more operands: a left fold of the binary op. */
function variadic(op: OpDef): ConvertFn {
  return (ctx) => [foldOperands(ctx, op)];
}

function foldOperands(ctx: NodeContext, op: OpDef): Known {
  let acc = ctx.input(0);
  for (let i = 1; i < ctx.inputCount; i++) acc = ctx.emit1(op, [acc, ctx.input(i)], {} as NoAttrs);
  return acc;
}

/** A scalar constant of the same element type as input `i` (for lowerings). */
function scalarLike(ctx: NodeContext, i: number, v: number): Known {
  return knownConst(Tensor.fromNumbers(ctx.type(i).dtype, [], [v]));
}

export const ELEMENTWISE_CONVERTERS: ConverterTable = {
  Neg: unary(Neg),
  Abs: unary(Abs),
  Exp: unary(Exp),
  Log: unary(Log),
  Sqrt: unary(Sqrt),
  Reciprocal: unary(Reciprocal),
  Erf: unary(Erf),
  Tanh: unary(Tanh),
  Sigmoid: unary(Sigmoid),
  Relu: unary(Relu),
  Floor: unary(Floor),
  Ceil: unary(Ceil),
  Not: unary(Not),
  HardSwish: unary(HardSwish),
  Add: binary(Add),
  Sub: binary(Sub),
  Mul: binary(Mul),
  Div: binary(Div),
  Equal: binary(Equal),
  Less: binary(Less),
  Greater: binary(Greater),
  And: binary(And),
  Or: binary(Or),
  LessOrEqual: (ctx) => [ctx.emit1(Not, [ctx.emit1(Greater, [ctx.input(0), ctx.input(1)], {})], {})],
  GreaterOrEqual: (ctx) => [ctx.emit1(Not, [ctx.emit1(Less, [ctx.input(0), ctx.input(1)], {})], {})],
  Max: variadic(Max),
  Min: variadic(Min),
  Sum: variadic(Add),
  Mean: (ctx) => [ctx.emit1(Div, [foldOperands(ctx, Add), scalarLike(ctx, 0, ctx.inputCount)], {})],

  Pow: (ctx) => {
    // ONNX allows a different exponent type; a constant exponent is converted to the base's.
    let e = ctx.input(1);
    const base = ctx.type(0).dtype;
    if (ctx.type(1).dtype !== base) {
      if (e.kind !== 'const') throw new VitcError(`Pow with a ${ctx.type(1).dtype} exponent computed at run time is not supported`);
      e = ctx.emit1(Cast, [e], { to: base });
    }
    return [ctx.emit1(Pow, [ctx.input(0), e], {})];
  },

  Mod: (ctx) => {
    if (ctx.attrs.int('fmod', 0) !== 0) throw new VitcError('Mod with fmod=1 (C fmod semantics) is not supported');
    return [ctx.emit1(Mod, [ctx.input(0), ctx.input(1)], {})];
  },

  Where: (ctx) => [ctx.emit1(Where, [ctx.input(0), ctx.input(1), ctx.input(2)], {})],

  Clip: (ctx) => {
    const min = ctx.has(1) ? ctx.scalar(1, "input 'min'") : undefined;
    const max = ctx.has(2) ? ctx.scalar(2, "input 'max'") : undefined;
    return [ctx.emit1(Clip, [ctx.input(0)], { min, max })];
  },

  Cast: (ctx) => {
    ctx.attrs.ignore('saturate');
    const to = dtypeFromOnnx(ctx.attrs.int('to'), "Cast's target type");
    return [ctx.emit1(Cast, [ctx.input(0)], { to })];
  },

  CastLike: (ctx) => [ctx.emit1(Cast, [ctx.input(0)], { to: ctx.type(1).dtype })],

  Identity: (ctx) => {
    const x = ctx.input(0);
    // Constants and shape values pass through; run-time values keep an identity op for canonicalize.
    return [x.kind === 'value' ? ctx.emit1(Identity, [x], {}) : x];
  },

  Dropout: (ctx) => {
    ctx.attrs.ignore('seed');
    const ratio = ctx.has(1) ? ctx.scalar(1, "input 'ratio'") : ctx.attrs.float('ratio', 0.5);
    // Training mode drops at random, except with ratio 0 (torchvision's Swin exports exactly that).
    if (ctx.has(2) && ctx.scalar(2, "input 'training_mode'") !== 0 && ratio !== 0)
      throw new VitcError(`Dropout in training mode (ratio ${ratio}) is not supported`);
    const x = ctx.input(0);
    const mask: Known = { kind: 'absent', why: `the mask output of Dropout is not supported`, poisoned: false };
    return [x.kind === 'value' ? ctx.emit1(Dropout, [x], { ratio }) : x, mask];
  },

  HardSigmoid: (ctx) => {
    const alpha = ctx.attrs.float('alpha', 0.2);
    const beta = ctx.attrs.float('beta', 0.5);
    // PyTorch's hardsigmoid exports alpha = 1/6, beta = 0.5: the IR op. Others lower to clip(αx+β).
    if (Math.abs(alpha - 1 / 6) < 1e-7 && beta === 0.5) return [ctx.emit1(HardSigmoid, [ctx.input(0)], {})];
    const ax = ctx.emit1(Mul, [ctx.input(0), scalarLike(ctx, 0, alpha)], {});
    return [ctx.emit1(Clip, [ctx.emit1(Add, [ax, scalarLike(ctx, 0, beta)], {})], { min: 0, max: 1 })];
  },

  LeakyRelu: (ctx) => {
    const alpha = ctx.attrs.float('alpha', 0.01);
    const ax = ctx.emit1(Mul, [ctx.input(0), scalarLike(ctx, 0, alpha)], {});
    // For α ≤ 1, max(x, αx) picks x when x ≥ 0 and αx otherwise; for α > 1 it is min.
    return [ctx.emit1(alpha <= 1 ? Max : Min, [ctx.input(0), ax], {})];
  },
};
