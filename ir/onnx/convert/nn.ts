import { isStatic, normAxis } from '../../dim.js';
import { VitcError } from '../../errors.js';
import {
  Abs,
  ArgMax,
  AvgPool,
  BatchNorm,
  Conv,
  ConvTranspose,
  Exp,
  Expand,
  GlobalAvgPool,
  GroupNorm,
  Identity,
  InstanceNorm,
  LayerNorm,
  Log,
  MaxPool,
  Mul,
  Neg,
  ReduceMax,
  ReduceMean,
  ReduceSum,
  Reshape,
  Softmax,
  Sqrt,
  Sub,
} from '../../ops/index.js';
import type { OpDef } from '../../op.js';
import type { NodeContext } from '../context.js';
import type { Known } from '../known-values.js';
import { axesInput } from './shape.js';
import type { ConverterTable, ConvertFn } from './types.js';

/** An output vitc does not compute (training statistics, pool indices). */
function unsupportedOutput(what: string): Known {
  return { kind: 'absent', why: `${what} is not supported`, poisoned: false };
}

/** Explicit begin/end pads for spatial axes, from `pads` or `auto_pad` (which needs static sizes). */
function spatialPads(ctx: NodeContext, spatial: readonly (number | string)[], kernel: readonly number[], strides: readonly number[], dilations: readonly number[]): number[] {
  const n = kernel.length;
  const autoPad = ctx.attrs.string('auto_pad', 'NOTSET');
  if (autoPad === 'NOTSET') return ctx.attrs.ints('pads', Array<number>(2 * n).fill(0));
  if (ctx.attrs.has('pads')) throw new VitcError(`auto_pad ${autoPad} and explicit pads are both given`);
  if (autoPad === 'VALID') return Array<number>(2 * n).fill(0);
  if (autoPad !== 'SAME_UPPER' && autoPad !== 'SAME_LOWER') throw new VitcError(`auto_pad '${autoPad}' is not supported`);
  const begin: number[] = [];
  const end: number[] = [];
  for (let i = 0; i < n; i++) {
    const size = spatial[i]!;
    if (!isStatic(size)) throw new VitcError(`auto_pad ${autoPad} on the symbolic spatial size ${size} is not supported`);
    const out = Math.ceil(size / strides[i]!);
    const total = Math.max(0, (out - 1) * strides[i]! + (kernel[i]! - 1) * dilations[i]! + 1 - size);
    const lo = autoPad === 'SAME_UPPER' ? Math.floor(total / 2) : Math.ceil(total / 2);
    begin.push(lo);
    end.push(total - lo);
  }
  return [...begin, ...end];
}

function convLike(ctx: NodeContext, transpose: boolean): Known {
  const w = ctx.type(1).shape;
  const kernel = w.slice(2).map((d) => {
    if (!isStatic(d)) throw new VitcError('Conv weights have a symbolic shape');
    return d;
  });
  const n = kernel.length;
  const given = ctx.attrs.ints('kernel_shape');
  if (given && given.join() !== kernel.join()) throw new VitcError(`kernel_shape [${given}] does not match the weights [${w.join(',')}]`);
  const strides = ctx.attrs.ints('strides', Array<number>(n).fill(1));
  const dilations = ctx.attrs.ints('dilations', Array<number>(n).fill(1));
  const group = ctx.attrs.int('group', 1);
  const operands = ctx.has(2) ? [ctx.input(0), ctx.input(1), ctx.input(2)] : [ctx.input(0), ctx.input(1)];
  if (!transpose) {
    const pads = spatialPads(ctx, ctx.type(0).shape.slice(2), kernel, strides, dilations);
    return ctx.emit1(Conv, operands, { strides, pads, dilations, group });
  }
  if (ctx.attrs.has('output_shape')) throw new VitcError('ConvTranspose with output_shape is not supported; give pads');
  if (ctx.attrs.string('auto_pad', 'NOTSET') !== 'NOTSET') throw new VitcError('ConvTranspose with auto_pad is not supported; give pads');
  const pads = ctx.attrs.ints('pads', Array<number>(2 * n).fill(0));
  const output_padding = ctx.attrs.ints('output_padding', Array<number>(n).fill(0));
  return ctx.emit1(ConvTranspose, operands, { strides, pads, dilations, output_padding, group });
}

function pool(ctx: NodeContext, max: boolean): readonly Known[] {
  const kernel = ctx.attrs.ints('kernel_shape');
  if (!kernel) throw new VitcError('the pool has no kernel_shape');
  const n = kernel.length;
  const strides = ctx.attrs.ints('strides', Array<number>(n).fill(1));
  const dilations = ctx.attrs.ints('dilations', Array<number>(n).fill(1));
  const pads = spatialPads(ctx, ctx.type(0).shape.slice(2), kernel, strides, dilations);
  const ceil_mode = ctx.attrs.int('ceil_mode', 0) !== 0;
  if (max) {
    ctx.attrs.ignore('storage_order');
    return [ctx.emit1(MaxPool, [ctx.input(0)], { kernel, strides, pads, dilations, ceil_mode }), unsupportedOutput('the Indices output of MaxPool')];
  }
  if (dilations.some((d) => d !== 1)) throw new VitcError('AveragePool with dilations is not supported');
  const count_include_pad = ctx.attrs.int('count_include_pad', 0) !== 0;
  return [ctx.emit1(AvgPool, [ctx.input(0)], { kernel, strides, pads, count_include_pad, ceil_mode })];
}

/**
 * Reduction axes: an attribute up to opset 17 (ReduceSum: up to 12), an input after. With
 * noop_with_empty_axes, empty axes mean identity rather than "all axes".
 */
function reduction(ctx: NodeContext, axesAsInputFrom: number): { axes: number[]; keepdims: boolean; noop: boolean } {
  const keepdims = ctx.attrs.int('keepdims', 1) !== 0;
  const axes = ctx.opset >= axesAsInputFrom ? (axesInput(ctx, 1) ?? []) : ctx.attrs.ints('axes', []);
  const noop = axes.length === 0 && ctx.attrs.int('noop_with_empty_axes', 0) !== 0;
  return { axes, keepdims, noop };
}

function reduce(op: OpDef, axesAsInputFrom: number, pre?: OpDef, post?: OpDef, negate = false): ConvertFn {
  return (ctx) => {
    const r = reduction(ctx, axesAsInputFrom);
    let x = ctx.input(0);
    if (r.noop) return [ctx.emit1(Identity, [x], {})];
    if (pre === Mul) x = ctx.emit1(Mul, [x, x], {});
    else if (pre) x = ctx.emit1(pre as typeof Neg, [x], {});
    let y = ctx.emit1(op as typeof ReduceSum, [x], { axes: r.axes, keepdims: r.keepdims });
    if (post) y = ctx.emit1(post as typeof Sqrt, [y], {});
    if (negate) y = ctx.emit1(Neg, [y], {});
    return [y];
  };
}

function argMax(negate: boolean): ConvertFn {
  return (ctx) => {
    if (ctx.attrs.int('select_last_index', 0) !== 0) throw new VitcError('select_last_index=1 is not supported');
    const x = negate ? ctx.emit1(Neg, [ctx.input(0)], {}) : ctx.input(0);
    return [ctx.emit1(ArgMax, [x], { axis: ctx.attrs.int('axis', 0), keepdims: ctx.attrs.int('keepdims', 1) !== 0 })];
  };
}

/** Opset-18 GroupNormalization has per-group scale and bias; the IR op takes them per channel. */
function perChannel(ctx: NodeContext, k: Known, groups: number, channels: number): Known {
  const g = ctx.emit1(Reshape, [k], { shape: [groups, 1] });
  const e = ctx.emit1(Expand, [g], { shape: [groups, channels / groups] });
  return ctx.emit1(Reshape, [e], { shape: [channels] });
}

export const NN_CONVERTERS: ConverterTable = {
  Conv: (ctx) => [convLike(ctx, false)],
  ConvTranspose: (ctx) => [convLike(ctx, true)],
  AveragePool: (ctx) => pool(ctx, false),
  MaxPool: (ctx) => pool(ctx, true),
  GlobalAveragePool: (ctx) => [ctx.emit1(GlobalAvgPool, [ctx.input(0)], {})],
  GlobalMaxPool: (ctx) => {
    const rank = ctx.type(0).shape.length;
    return [ctx.emit1(ReduceMax, [ctx.input(0)], { axes: [...Array(rank - 2).keys()].map((i) => i + 2), keepdims: true })];
  },

  BatchNormalization: (ctx) => {
    ctx.attrs.ignore('momentum');
    if (ctx.attrs.int('training_mode', 0) !== 0) throw new VitcError('BatchNormalization in training mode is not supported');
    const epsilon = ctx.attrs.float('epsilon', 1e-5);
    const y = ctx.emit1(BatchNorm, [0, 1, 2, 3, 4].map((i) => ctx.input(i)), { epsilon });
    return [y, unsupportedOutput('the running mean output of BatchNormalization'), unsupportedOutput('the running variance output of BatchNormalization')];
  },

  LayerNormalization: (ctx) => {
    // stash_type selects the precision of the statistics; the reference computes in float64 anyway.
    ctx.attrs.ignore('stash_type');
    const axis = ctx.attrs.int('axis', -1);
    const epsilon = ctx.attrs.float('epsilon', 1e-5);
    const operands = ctx.has(2) ? [ctx.input(0), ctx.input(1), ctx.input(2)] : [ctx.input(0), ctx.input(1)];
    return [ctx.emit1(LayerNorm, operands, { axis, epsilon }), unsupportedOutput('the Mean output of LayerNormalization'), unsupportedOutput('the InvStdDev output of LayerNormalization')];
  },

  InstanceNormalization: (ctx) => [ctx.emit1(InstanceNorm, [ctx.input(0), ctx.input(1), ctx.input(2)], { epsilon: ctx.attrs.float('epsilon', 1e-5) })],

  GroupNormalization: (ctx) => {
    ctx.attrs.ignore('stash_type');
    const groups = ctx.attrs.int('num_groups') ?? fail('GroupNormalization needs num_groups');
    const epsilon = ctx.attrs.float('epsilon', 1e-5);
    const channels = ctx.type(0).shape[1];
    if (!isStatic(channels!)) throw new VitcError('GroupNormalization needs a static channel count');
    const c = channels as number;
    if (c % groups !== 0) throw new VitcError(`${c} channels do not split into ${groups} groups`);
    const perGroup = ctx.type(1).shape.length === 1 && ctx.type(1).shape[0] === groups && groups !== c;
    const scale = perGroup ? perChannel(ctx, ctx.input(1), groups, c) : ctx.input(1);
    const bias = perGroup ? perChannel(ctx, ctx.input(2), groups, c) : ctx.input(2);
    return [ctx.emit1(GroupNorm, [ctx.input(0), scale, bias], { groups, epsilon })];
  },

  Softmax: (ctx) => {
    const rank = ctx.type(0).shape.length;
    const axis = normAxis(ctx.attrs.int('axis', -1), rank, 'Softmax axis');
    return [ctx.emit1(Softmax, [ctx.input(0)], { axis })];
  },

  LogSoftmax: (ctx) => {
    // x − max − log Σ exp(x − max), along one axis: the numerically stable form.
    const rank = ctx.type(0).shape.length;
    const axes = [normAxis(ctx.attrs.int('axis', -1), rank, 'LogSoftmax axis')];
    const x = ctx.input(0);
    const shifted = ctx.emit1(Sub, [x, ctx.emit1(ReduceMax, [x], { axes, keepdims: true })], {});
    const lse = ctx.emit1(Log, [ctx.emit1(ReduceSum, [ctx.emit1(Exp, [shifted], {})], { axes, keepdims: true })], {});
    return [ctx.emit1(Sub, [shifted, lse], {})];
  },

  ReduceMean: reduce(ReduceMean, 18),
  ReduceSum: reduce(ReduceSum, 13),
  ReduceMax: reduce(ReduceMax, 18),
  ReduceMin: reduce(ReduceMax, 18, Neg, undefined, true),
  ReduceL1: reduce(ReduceSum, 18, Abs),
  ReduceL2: reduce(ReduceSum, 18, Mul, Sqrt),
  ReduceSumSquare: reduce(ReduceSum, 18, Mul),
  ArgMax: argMax(false),
  ArgMin: argMax(true),
};

function fail(msg: string): never {
  throw new VitcError(msg);
}
