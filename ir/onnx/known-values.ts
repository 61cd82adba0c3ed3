import { type Dim, isStatic } from '../dim.js';
import { type DType, isFloat } from '../dtype.js';
import type { Value } from '../graph.js';
import { Tensor } from '../tensor.js';
import { type TensorType, tensorType, typeOf } from '../types.js';

/**
 * A small integer tensor (static shape) whose elements may be symbolic dims: the result of
 * `Shape` on a tensor with the batch axis, and of the arithmetic and indexing on it.
 * At least one element is symbolic; fully static ones are plain constants.
 */
export interface SymTensor {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly elems: readonly Dim[];
}

/**
 * What the importer knows about an ONNX value:
 * - `value`: computed at run time by an IR node (or a graph input);
 * - `const`: a constant tensor, folded at import; `name` is the initializer's name if it is one;
 * - `sym`: a shape-like integer tensor that depends on the batch symbol;
 * - `absent`: not available (an unsupported producer, an output vitc does not model); using it fails
 *   with `why`. `poisoned` marks absence caused by an earlier failure (coverage reports skip those).
 */
export type Known =
  | { readonly kind: 'value'; readonly value: Value }
  | { readonly kind: 'const'; readonly tensor: Tensor; readonly name?: string }
  | { readonly kind: 'sym'; readonly sym: SymTensor }
  | { readonly kind: 'absent'; readonly why: string; readonly poisoned: boolean };

export function knownValue(value: Value): Known {
  return { kind: 'value', value };
}

export function knownConst(tensor: Tensor, name?: string): Known {
  return name === undefined ? { kind: 'const', tensor } : { kind: 'const', tensor, name };
}

/** A symbolic tensor, or a constant when every element is static. */
export function knownSym(dtype: DType, shape: readonly number[], elems: readonly Dim[]): Known {
  if (elems.every(isStatic)) return knownConst(Tensor.fromNumbers(dtype, shape, elems as number[]));
  return { kind: 'sym', sym: { dtype, shape: [...shape], elems: [...elems] } };
}

export function typeOfKnown(k: Known): TensorType | undefined {
  switch (k.kind) {
    case 'value':
      return k.value.type;
    case 'const':
      return typeOf(k.tensor);
    case 'sym':
      return tensorType(k.sym.dtype, k.sym.shape);
    case 'absent':
      return undefined;
  }
}

/** Elements of a constant or symbolic tensor as dims (constants must hold integers). */
export function dimsOf(k: Known): Dim[] | undefined {
  if (k.kind === 'sym') return [...k.sym.elems];
  if (k.kind === 'const') {
    const v = k.tensor.toNumbers();
    return isFloat(k.tensor.dtype) && !v.every(Number.isInteger) ? undefined : v;
  }
  return undefined;
}

/** A sym view of a constant or symbolic tensor (for symbolic evaluation). */
export function asSym(k: Known): SymTensor | undefined {
  if (k.kind === 'sym') return k.sym;
  if (k.kind === 'const') return { dtype: k.tensor.dtype, shape: k.tensor.shape, elems: k.tensor.toNumbers() };
  return undefined;
}
