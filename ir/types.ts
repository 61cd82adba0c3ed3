import { type Dim, shapeToString, shapesEqual } from './dim.js';
import type { DType } from './dtype.js';
import type { Tensor } from './tensor.js';

/** The static type of an SSA value: element type and shape (static dims or multiples of a symbol). */
export interface TensorType {
  readonly dtype: DType;
  readonly shape: readonly Dim[];
}

export function tensorType(dtype: DType, shape: readonly Dim[]): TensorType {
  return { dtype, shape: Object.freeze([...shape]) };
}

export function typeOf(t: Tensor): TensorType {
  return { dtype: t.dtype, shape: t.shape };
}

export function typesEqual(a: TensorType, b: TensorType): boolean {
  return a.dtype === b.dtype && shapesEqual(a.shape, b.shape);
}

export function typeToString(t: TensorType): string {
  return `${t.dtype}${shapeToString(t.shape)}`;
}
