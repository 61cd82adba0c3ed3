import { attr } from '../attrs.js';
import { broadcastShapes, type Dim, normAxis, shapesEqual, shapeToString } from '../dim.js';
import { fail } from '../errors.js';
import { defineOp } from '../op.js';
import type { Tensor } from '../tensor.js';
import type { TensorType } from '../types.js';
import { broadcastOffsets } from '../../runtime/reference/kernels/broadcast.js';
import { batchNorm, groupNorm, layerNormRows } from '../../runtime/reference/kernels/normalize.js';
import { numbersOf, tensorFrom } from '../../runtime/reference/kernels/storage.js';
import { countPerBatch, requireFloat, requireShape, staticAxes, staticAxis } from './operand-checks.js';

/**
 * FLOPs per element of a normalisation that computes its statistics: mean (1), variance (3),
 * normalise, scale and shift (4).
 */
const STATS_NORM_FLOPS = 8;

/** Checks x = [N, C, …] and per-channel parameters; returns C. */
function checkChannelParams(op: string, x: TensorType, params: readonly TensorType[], names: readonly string[]): number {
  requireFloat(op, x);
  if (x.shape.length < 2) fail(`'${op}' needs x of rank ≥ 2 (N, C, …), got ${x.dtype}${shapeToString(x.shape)}`);
  const c = staticAxis(op, x.shape, 1, 'channel');
  params.forEach((p, i) => {
    requireFloat(op, p, names[i]);
    requireShape(op, p, [c], names[i]!);
  });
  return c;
}

/** [batch, channels, spatial] of a concrete NC… tensor. */
function ncs(x: Tensor): [number, number, number] {
  return [x.shape[0]!, x.shape[1]!, x.shape.slice(2).reduce((p, d) => p * d, 1)];
}

/** Inference batch normalisation over axis 1 with stored statistics. */
export const BatchNorm = defineOp({
  name: 'batch_norm',
  summary: '(x − mean)/sqrt(var + ε)·scale + bias, per channel',
  attrs: { epsilon: attr.float(1e-5) },
  inputs: ['x', 'scale', 'bias', 'mean', 'var'],
  outputs: 1,
  infer: ([x, ...params]) => {
    checkChannelParams('batch_norm', x!, params, ['scale', 'bias', 'mean', 'var']);
    return [x!];
  },
  reference: ([x, scale, bias, mean, variance], a) => {
    const [n, c, s] = ncs(x!);
    const out = batchNorm(numbersOf(x!), n, c, s, numbersOf(scale!), numbersOf(bias!), numbersOf(mean!), numbersOf(variance!), a.epsilon);
    return [tensorFrom(x!.dtype, x!.shape, out)];
  },
  flops: ([x]) => 2 * countPerBatch(x!.shape),
});

/** The normalised axes [axis, rank), which must be static, and the leading ones. */
function layerNormAxes(x: TensorType, axis: number): { lead: readonly Dim[]; norm: number[] } {
  const r = x.shape.length;
  const ax = normAxis(axis, r, `'layer_norm' axis`);
  return { lead: x.shape.slice(0, ax), norm: staticAxes('layer_norm', x.shape, ax, r, 'normalised') };
}

function checkAffine(op: string, p: TensorType, norm: readonly number[], what: string): void {
  requireFloat(op, p, what);
  let ok = p.shape.length <= norm.length;
  if (ok) {
    try {
      ok = shapesEqual(broadcastShapes(p.shape, norm), norm);
    } catch {
      ok = false;
    }
  }
  if (!ok) fail(`'${op}' ${what} ${shapeToString(p.shape)} does not broadcast to the normalised shape ${shapeToString(norm)}`);
}

/** Normalises over the trailing axes [axis, rank); statistics in float64. */
export const LayerNorm = defineOp({
  name: 'layer_norm',
  summary: 'normalise over axes [axis, rank), then scale and shift',
  attrs: { axis: attr.int(-1), epsilon: attr.float(1e-5) },
  inputs: ['x', 'scale', 'bias?'],
  outputs: 1,
  infer: ([x, scale, bias], a) => {
    requireFloat('layer_norm', x!);
    const { norm } = layerNormAxes(x!, a.axis);
    checkAffine('layer_norm', scale!, norm, 'scale');
    if (bias) checkAffine('layer_norm', bias, norm, 'bias');
    return [x!];
  },
  reference: ([x, scale, bias], a) => {
    const { lead, norm } = layerNormAxes(x!, a.axis);
    const d = norm.reduce((p, q) => p * q, 1);
    const rows = (lead as number[]).reduce((p, q) => p * q, 1);
    const sOff = broadcastOffsets(scale!.shape, norm);
    const bOff = bias ? broadcastOffsets(bias.shape, norm) : undefined;
    const out = layerNormRows(numbersOf(x!), rows, d, numbersOf(scale!), sOff, bias ? numbersOf(bias) : undefined, bOff, a.epsilon);
    return [tensorFrom(x!.dtype, x!.shape, out)];
  },
  flops: ([x]) => STATS_NORM_FLOPS * countPerBatch(x!.shape),
});

function checkSpatial(op: string, x: TensorType): void {
  if (x.shape.length < 3) fail(`'${op}' needs x of rank ≥ 3 (N, C, spatial…), got ${x.dtype}${shapeToString(x.shape)}`);
  staticAxes(op, x.shape, 2, x.shape.length, 'spatial');
}

/** Per sample and channel, normalises over the spatial axes. */
export const InstanceNorm = defineOp({
  name: 'instance_norm',
  summary: 'normalise each (sample, channel) over space',
  attrs: { epsilon: attr.float(1e-5) },
  inputs: ['x', 'scale', 'bias'],
  outputs: 1,
  infer: ([x, scale, bias]) => {
    checkChannelParams('instance_norm', x!, [scale!, bias!], ['scale', 'bias']);
    checkSpatial('instance_norm', x!);
    return [x!];
  },
  reference: ([x, scale, bias], a) => {
    const [n, c, s] = ncs(x!);
    return [tensorFrom(x!.dtype, x!.shape, groupNorm(numbersOf(x!), n, c, s, c, numbersOf(scale!), numbersOf(bias!), a.epsilon))];
  },
  flops: ([x]) => STATS_NORM_FLOPS * countPerBatch(x!.shape),
});

/** Per sample, normalises over groups of channels × space; scale and bias are per channel. */
export const GroupNorm = defineOp({
  name: 'group_norm',
  summary: 'normalise each (sample, channel group) over its channels and space',
  attrs: { groups: attr.int(), epsilon: attr.float(1e-5) },
  inputs: ['x', 'scale', 'bias'],
  outputs: 1,
  infer: ([x, scale, bias], a) => {
    const c = checkChannelParams('group_norm', x!, [scale!, bias!], ['scale', 'bias']);
    staticAxes('group_norm', x!.shape, 2, x!.shape.length, 'spatial');
    if (a.groups < 1 || c % a.groups !== 0) fail(`'group_norm' groups ${a.groups} must be positive and divide the ${c} channels`);
    return [x!];
  },
  reference: ([x, scale, bias], a) => {
    const [n, c, s] = ncs(x!);
    return [tensorFrom(x!.dtype, x!.shape, groupNorm(numbersOf(x!), n, c, s, a.groups, numbersOf(scale!), numbersOf(bias!), a.epsilon))];
  },
  flops: ([x]) => STATS_NORM_FLOPS * countPerBatch(x!.shape),
});
