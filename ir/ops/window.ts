import { shapeToString } from '../dim.js';
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

/**
 * Fails when some window has no tap inside the input (a dilated window can step over a small
 * input entirely): pooling it would have nothing to pool.
 */
export function checkWindowsHitInput(op: string, sizes: readonly number[], outSizes: readonly number[], w: WindowSpec): void {
  sizes.forEach((n, i) => {
    const [k, s, d, pb] = [w.kernel[i]!, w.strides[i]!, w.dilations[i]!, w.pads[i]!];
    for (let o = 0; o < outSizes[i]!; o++) {
      let hit = false;
      for (let t = 0; t < k && !hit; t++) {
        const p = o * s - pb + t * d;
        hit = p >= 0 && p < n;
      }
      if (!hit) fail(`'${op}' window ${o} along spatial axis ${i} covers only padding (size ${n}, kernel ${k}, dilation ${d}, pad ${pb})`);
    }
  });
}

/** Output spatial sizes of a window spec over `sizes`. */
export function windowOutSizes(op: string, sizes: readonly number[], w: WindowSpec, ceil: boolean): number[] {
  const r = sizes.length;
  return sizes.map((n, i) => windowOutSize(op, n, w.kernel[i]!, w.strides[i]!, w.pads[i]!, w.pads[r + i]!, w.dilations[i]!, ceil));
}

/** The 2-D kernel geometry for 1-D or 2-D spatial sizes: a 1-D window runs over a 1×W plane. */
export function window2d(sizes: readonly number[], outSizes: readonly number[], w: WindowSpec): Window2d {
  const r = sizes.length;
  const lift = (v: readonly number[], unit: number): [number, number] => (r === 1 ? [unit, v[0]!] : [v[0]!, v[1]!]);
  const [ih, iw] = lift(sizes, 1);
  const [oh, ow] = lift(outSizes, 1);
  const [kh, kw] = lift(w.kernel, 1);
  const [sh, sw] = lift(w.strides, 1);
  const [dh, dw] = lift(w.dilations, 1);
  const [padTop, padLeft] = lift(w.pads.slice(0, r), 0);
  const [padBottom, padRight] = lift(w.pads.slice(r), 0);
  return { ih, iw, kh, kw, sh, sw, dh, dw, padTop, padLeft, padBottom, padRight, oh, ow };
}
