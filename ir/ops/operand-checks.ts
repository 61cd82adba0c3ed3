import { type Dim, isStatic, normAxis, parseSym, shapeToString } from '../dim.js';
import { type DType, isFloat } from '../dtype.js';
import { fail } from '../errors.js';
import type { TensorType } from '../types.js';

/** Shared operand checks for op inference; every failure names the op. */

export function requireFloat(op: string, t: TensorType, what = 'x'): void {
  if (!isFloat(t.dtype)) fail(`'${op}' needs a float ${what}, got ${t.dtype}`);
}

export function requireNumeric(op: string, t: TensorType, what = 'x'): void {
  if (t.dtype === 'bool') fail(`'${op}' does not accept a bool ${what}`);
}

export function requireIndex(op: string, t: TensorType, what = 'indices'): void {
  if (t.dtype !== 'i32' && t.dtype !== 'i64') fail(`'${op}' needs i32 or i64 ${what}, got ${t.dtype}`);
}

export function requireSameDtype(op: string, want: DType, t: TensorType, what: string): void {
  if (t.dtype !== want) fail(`'${op}' ${what} has element type ${t.dtype}, expected ${want}`);
}

export function requireRank(op: string, t: TensorType, ranks: readonly number[], what = 'x'): void {
  if (!ranks.includes(t.shape.length))
    fail(`'${op}' needs ${what} of rank ${ranks.join(' or ')}, got ${t.dtype}${shapeToString(t.shape)}`);
}

export function requireShape(op: string, t: TensorType, shape: readonly Dim[], what: string): void {
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]))
    fail(`'${op}' ${what} must have shape ${shapeToString(shape)}, got ${shapeToString(t.shape)}`);
}

/**
 * The sizes of axes `from..to` of `shape`, which must be static: generated kernels unroll or
 * divide by them. `role` says what the axes are ("spatial", "reduced", ...).
 */
export function staticAxes(op: string, shape: readonly Dim[], from: number, to: number, role: string): number[] {
  const out: number[] = [];
  for (let i = from; i < to; i++) {
    const d = shape[i]!;
    if (!isStatic(d)) fail(`'${op}' needs static ${role} axes, but axis ${i} of ${shapeToString(shape)} is symbolic (${d})`);
    out.push(d);
  }
  return out;
}

export function staticAxis(op: string, shape: readonly Dim[], axis: number, role: string): number {
  return staticAxes(op, shape, axis, axis + 1, role)[0]!;
}

/** Normalises a list of possibly negative axes; fails on repeats. */
export function normAxes(op: string, axes: readonly number[], rank: number): number[] {
  const out = axes.map((a) => normAxis(a, rank, `'${op}' axis`));
  if (new Set(out).size !== out.length) fail(`'${op}' axes [${axes.join(',')}] repeat an axis`);
  return out;
}

/** Element count with every symbol taken as 1 (FLOP counts are per unit batch). */
export function countPerBatch(shape: readonly Dim[]): number {
  let p = 1;
  for (const d of shape) p *= isStatic(d) ? d : parseSym(d).k;
  return p;
}
