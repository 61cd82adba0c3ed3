import { shapesEqual } from '../../dim.js';
import { VitcError } from '../../errors.js';
import { Add, MatMul, Mul, ReduceSum, Reshape, Transpose } from '../../ops/index.js';
import { Tensor } from '../../tensor.js';
import { typeOfKnown, knownConst, type Known } from '../known-values.js';
import type { NodeContext } from '../context.js';
import { isIdentityPerm, parseEinsum, planEinsum2 } from './einsum.js';
import type { ConverterTable } from './types.js';

function transposeIfNeeded(ctx: NodeContext, x: Known, perm: readonly number[]): Known {
  return isIdentityPerm(perm) ? x : ctx.emit1(Transpose, [x], { perm });
}

function reshapeIfNeeded(ctx: NodeContext, x: Known, shape: readonly (number | string)[]): Known {
  return shapesEqual(typeOfKnown(x)!.shape, shape) ? x : ctx.emit1(Reshape, [x], { shape });
}

function sumAxes(ctx: NodeContext, x: Known, axes: readonly number[]): Known {
  return axes.length ? ctx.emit1(ReduceSum, [x], { axes, keepdims: false }) : x;
}

function scalarOf(x: Known, v: number): Known {
  return knownConst(Tensor.fromNumbers(typeOfKnown(x)!.dtype, [], [v]));
}

/** Gemm: alpha·A'·B' + beta·C, with transposes and scalings of constants folded. */
function gemm(ctx: NodeContext): Known {
  const alpha = ctx.attrs.float('alpha', 1);
  const beta = ctx.attrs.float('beta', 1);
  const a0 = ctx.input(0);
  const b0 = ctx.input(1);
  if (ctx.type(0).shape.length !== 2 || ctx.type(1).shape.length !== 2) throw new VitcError('Gemm operands must be 2-D');
  const a = ctx.attrs.int('transA', 0) ? ctx.emit1(Transpose, [a0], { perm: [1, 0] }) : a0;
  let b = ctx.attrs.int('transB', 0) ? ctx.emit1(Transpose, [b0], { perm: [1, 0] }) : b0;
  // Scale the constant side before the product so the scaling folds into the weights.
  const scaleB = alpha !== 1 && b.kind === 'const';
  if (scaleB) b = ctx.emit1(Mul, [b, scalarOf(b, alpha)], {});
  let y = ctx.emit1(MatMul, [a, b], {});
  if (alpha !== 1 && !scaleB) y = ctx.emit1(Mul, [y, scalarOf(y, alpha)], {});
  if (!ctx.has(2) || beta === 0) return y;
  const c = beta === 1 ? ctx.input(2) : ctx.emit1(Mul, [ctx.input(2), scalarOf(ctx.input(2), beta)], {});
  return ctx.emit1(Add, [y, c], {});
}

function einsum(ctx: NodeContext): Known {
  const equation = ctx.attrs.string('equation') ?? '';
  const spec = parseEinsum(equation, ctx.inputCount);
  if (spec.inputs.length === 1) {
    const s = spec.inputs[0]!;
    const x = ctx.input(0);
    const summed = [...s].flatMap((c, i) => (spec.output.includes(c) ? [] : [i]));
    const rest = [...s].filter((c) => spec.output.includes(c)).join('');
    return transposeIfNeeded(ctx, sumAxes(ctx, x, summed), [...spec.output].map((c) => rest.indexOf(c)));
  }
  if (spec.inputs.length !== 2) throw new VitcError(`Einsum with ${spec.inputs.length} operands is not supported (one or two)`);
  const p = planEinsum2(spec, ctx.type(0).shape, ctx.type(1).shape);
  const a = reshapeIfNeeded(ctx, transposeIfNeeded(ctx, sumAxes(ctx, ctx.input(0), p.sumA), p.permA), p.shapeA);
  const b = reshapeIfNeeded(ctx, transposeIfNeeded(ctx, sumAxes(ctx, ctx.input(1), p.sumB), p.permB), p.shapeB);
  const y = reshapeIfNeeded(ctx, ctx.emit1(MatMul, [a, b], {}), p.unflat);
  return transposeIfNeeded(ctx, y, p.permOut);
}

export const MATMUL_CONVERTERS: ConverterTable = {
  MatMul: (ctx) => [ctx.emit1(MatMul, [ctx.input(0), ctx.input(1)], {})],
  Gemm: (ctx) => [gemm(ctx)],
  Einsum: (ctx) => [einsum(ctx)],
};
