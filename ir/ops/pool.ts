import { attr } from '../attrs.js';
import { shapeToString } from '../dim.js';
import { fail } from '../errors.js';
import { defineOp } from '../op.js';
import type { Tensor } from '../tensor.js';
import { type TensorType, tensorType } from '../types.js';
import { avgPool2d, maxPool2d } from '../../runtime/reference/kernels/pool2d.js';
import { reduceAxes } from '../../runtime/reference/kernels/reduce.js';
import { numbersOf, tensorFrom } from '../../runtime/reference/kernels/storage.js';
import type { Window2d } from '../../runtime/reference/kernels/window2d.js';
import { countPerBatch, requireFloat, staticAxes } from './operand-checks.js';
import { checkWindowSpec, checkWindowsHitInput, spatialSizes, window2d, windowOutSizes, type WindowSpec } from './window.js';

interface PoolGeometry {
  readonly sizes: number[];
  readonly outSizes: number[];
  readonly spec: WindowSpec;
}

function poolGeometry(op: string, x: TensorType, spec: WindowSpec, ceil: boolean): PoolGeometry {
  requireFloat(op, x);
  const sizes = spatialSizes(op, x);
  checkWindowSpec(op, spec, sizes.length);
  const r = sizes.length;
  spec.pads.forEach((p, i) => {
    const span = spec.dilations[i % r]! * (spec.kernel[i % r]! - 1) + 1;
    // A window lying wholly in the padding has no elements to pool.
    if (p >= span) fail(`'${op}' pad ${p} must be smaller than the window extent ${span}`);
  });
  const outSizes = windowOutSizes(op, sizes, spec, ceil);
  checkWindowsHitInput(op, sizes, outSizes, spec);
  return { sizes, outSizes, spec };
}

function pooledType(x: TensorType, geo: PoolGeometry): TensorType {
  return tensorType(x.dtype, [x.shape[0]!, x.shape[1]!, ...geo.outSizes]);
}

type PoolKernel = (x: ArrayLike<number>, planes: number, g: Window2d) => Float64Array;

function runPool(x: Tensor, geo: PoolGeometry, pool: PoolKernel): Tensor {
  const planes = x.shape[0]! * x.shape[1]!;
  const out = pool(numbersOf(x), planes, window2d(geo.sizes, geo.outSizes, geo.spec));
  return tensorFrom(x.dtype, [x.shape[0]!, x.shape[1]!, ...geo.outSizes], out);
}

/** One FLOP per window element per output. */
function poolFlops(out: TensorType, spec: WindowSpec): number {
  return countPerBatch(out.shape) * spec.kernel.reduce((p, k) => p * k, 1);
}

const ones = (n: number) => new Array<number>(n).fill(1);

function avgSpec(a: { kernel: readonly number[]; strides: readonly number[]; pads: readonly number[] }): WindowSpec {
  return { kernel: a.kernel, strides: a.strides, pads: a.pads, dilations: ones(a.kernel.length) };
}

/** Average pooling over 1 or 2 spatial axes. */
export const AvgPool = defineOp({
  name: 'avg_pool',
  summary: 'average pooling (NCHW / NCW)',
  attrs: { kernel: attr.ints(), strides: attr.ints(), pads: attr.ints(), count_include_pad: attr.bool(false), ceil_mode: attr.bool(false) },
  inputs: ['x'],
  outputs: 1,
  infer: ([x], a) => [pooledType(x!, poolGeometry('avg_pool', x!, avgSpec(a), a.ceil_mode))],
  reference: ([x], a) => [
    runPool(x!, poolGeometry('avg_pool', x!, avgSpec(a), a.ceil_mode), (v, planes, g) => avgPool2d(v, planes, g, a.count_include_pad)),
  ],
  flops: (_ins, [out], a) => poolFlops(out!, avgSpec(a)),
});

/** Max pooling over 1 or 2 spatial axes, with dilations; padding never wins. */
export const MaxPool = defineOp({
  name: 'max_pool',
  summary: 'max pooling (NCHW / NCW)',
  attrs: { kernel: attr.ints(), strides: attr.ints(), pads: attr.ints(), dilations: attr.ints(), ceil_mode: attr.bool(false) },
  inputs: ['x'],
  outputs: 1,
  infer: ([x], a) => [pooledType(x!, poolGeometry('max_pool', x!, a, a.ceil_mode))],
  reference: ([x], a) => [runPool(x!, poolGeometry('max_pool', x!, a, a.ceil_mode), maxPool2d)],
  flops: (_ins, [out], a) => poolFlops(out!, a),
});

/** Mean over all spatial axes, kept as size 1: [N, C, …] → [N, C, 1, …]. */
export const GlobalAvgPool = defineOp({
  name: 'global_avg_pool',
  summary: 'mean over the spatial axes',
  attrs: {},
  inputs: ['x'],
  outputs: 1,
  infer: ([x]) => {
    requireFloat('global_avg_pool', x!);
    const r = x!.shape.length;
    if (r < 3) fail(`'global_avg_pool' needs x of rank ≥ 3 (N, C, spatial…), got ${x!.dtype}${shapeToString(x!.shape)}`);
    staticAxes('global_avg_pool', x!.shape, 2, r, 'spatial');
    return [tensorType(x!.dtype, [x!.shape[0]!, x!.shape[1]!, ...ones(r - 2)])];
  },
  reference: ([x]) => {
    const r = x!.rank;
    const spatial = x!.shape.slice(2).reduce((p, d) => p * d, 1);
    const sums = reduceAxes(numbersOf(x!), x!.shape, x!.shape.map((_, i) => i >= 2), 'sum');
    for (let i = 0; i < sums.length; i++) sums[i]! /= spatial;
    return [tensorFrom(x!.dtype, [x!.shape[0]!, x!.shape[1]!, ...ones(r - 2)], sums)];
  },
  flops: ([x]) => countPerBatch(x!.shape),
});
