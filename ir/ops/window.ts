import { type Dim, shapeToString } from '../dim.js';
import { fail } from '../errors.js';
import type { TensorType } from '../types.js';
import type { Window2d } from '../../runtime/reference/kernels/window2d.js';
import { staticAxes } from './operand-checks.js';

/** Sliding-window attributes shared by conv, conv_transpose and the pools; all per spatial axis. */
export interface WindowSpec {
  readonly kernel: readonly number[];
  readonly strides: readonly number[];
  /** [begin..., end...] */
  readonly pads: readonly number[];
  readonly dilations: readonly number[];
}

/**
 * Checks an NC... operand of a windowed op and returns its static spatial sizes. The batch axis
 * may be symbolic; channels and spatial axes must be static. Only 1-D and 2-D windows exist.
 */
export function spatialSizes(op: string, x: TensorType, what = 'x'): number[] {
  const r = x.shape.length;
  if (r !== 3 && r !== 4) fail(`'${op}' needs ${what} of rank 3 or 4 (N, C, 1 or 2 spatial axes), got ${x.dtype}${shapeToString(x.shape)}`);
  return staticAxes(op, x.shape, 1, r, 'channel and spatial').slice(1);
}

export function checkWindowSpec(op: string, w: WindowSpec, rank: number): void {
  const lens: [string, number, number][] = [
    ['kernel', w.kernel.length, rank],
    ['strides', w.strides.length, rank],
    ['pads', w.pads.length, 2 * rank],
    ['dilations', w.dilations.length, rank],
  ];
  for (const [name, got, want] of lens) if (got !== want) fail(`'${op}' ${name} has ${got} values, expected ${want} for ${rank} spatial axes`);
  if (w.kernel.some((k) => k < 1)) fail(`'${op}' kernel sizes must be positive, got [${w.kernel.join(',')}]`);
  if (w.strides.some((s) => s < 1)) fail(`'${op}' strides must be positive, got [${w.strides.join(',')}]`);
  if (w.dilations.some((d) => d < 1)) fail(`'${op}' dilations must be positive, got [${w.dilations.join(',')}]`);
  if (w.pads.some((p) => p < 0)) fail(`'${op}' pads must be non-negative, got [${w.pads.join(',')}]`);
}

/**
 * Output size of a window along one axis. With ceil_mode the last partial window is kept, unless
 * it would start in the end padding (ONNX and PyTorch drop those).
 */
export function windowOutSize(op: string, size: number, k: number, s: number, padBegin: number, padEnd: number, d: number, ceil: boolean): number {
  const span = d * (k - 1) + 1;
  const room = size + padBegin + padEnd - span;
  if (room < 0) fail(`'${op}' window of extent ${span} does not fit input size ${size} with pads ${padBegin}+${padEnd}`);
  let out = (ceil ? Math.ceil(room / s) : Math.floor(room / s)) + 1;
  if (ceil && (out - 1) * s >= size + padBegin) out--;
  return out;
}

/** Output spatial sizes of a window spec over `sizes`. */
export function windowOutSizes(op: string, sizes: readonly number[], w: WindowSpec, ceil: boolean): number[] {
  const r = sizes.length;
  return sizes.map((n, i) => windowOutSize(op, n, w.kernel[i]!, w.strides[i]!, w.pads[i]!, w.pads[r + i]!, w.dilations[i]!, ceil));
}

/** The 2-D kernel geometry for 1-D or 2-D spatial sizes (1-D runs as a 1×W plane). */
export function window2d(sizes: readonly number[], outSizes: readonly number[], w: WindowSpec): Window2d {
  if (sizes.length === 1)
    return {
      ih: 1, iw: sizes[0]!, kh: 1, kw: w.kernel[0]!, sh: 1, sw: w.strides[0]!, dh: 1, dw: w.dilations[0]!,
      padTop: 0, padLeft: w.pads[0]!, padBottom: 0, padRight: w.pads[1]!, oh: 1, ow: outSizes[0]!,
    };
  return {
    ih: sizes[0]!, iw: sizes[1]!, kh: w.kernel[0]!, kw: w.kernel[1]!, sh: w.strides[0]!, sw: w.strides[1]!,
    dh: w.dilations[0]!, dw: w.dilations[1]!, padTop: w.pads[0]!, padLeft: w.pads[1]!, padBottom: w.pads[2]!, padRight: w.pads[3]!,
    oh: outSizes[0]!, ow: outSizes[1]!,
  };
}

/** `[batch, channels, ...spatial]` as a result shape. */
export function ncShape(batch: Dim, channels: number, spatial: readonly number[]): Dim[] {
  return [batch, channels, ...spatial];
}
