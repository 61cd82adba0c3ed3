import type { AttrSchema, AttrsOf, ResolvedAttrs } from './attrs.js';
import type { Tensor } from './tensor.js';
import type { TensorType } from './types.js';

/** Static facts the passes and code generators may rely on. */
export interface OpTraits {
  /** Output element i depends only on input elements at the same (broadcast) index. */
  readonly elementwise?: boolean;
  /** Binary op with op(a, b) === op(b, a). */
  readonly commutative?: boolean;
  /** Only moves or reinterprets data (reshape, transpose, slice...). */
  readonly layout?: boolean;
}

/**
 * The single definition of an op: its text name, typed attributes, operands, type inference and
 * reference semantics. Everything else (text syntax, verifier, interpreter, constant folding,
 * ONNX import) is driven from this record.
 */
export interface OpDef<S extends AttrSchema = AttrSchema> {
  /** Name in the text IR, snake_case. Unique in the registry. */
  readonly name: string;
  readonly summary: string;
  readonly attrs: S;
  /**
   * Operand names. `name?` is optional (only trailing operands may be), `name...` takes the rest
   * (at least one).
   */
  readonly inputs: readonly string[];
  /** Result count, fixed or computed from attributes and operand count. */
  readonly outputs: number | Bivariant<(attrs: AttrsOf<S>, numInputs: number) => number>;
  readonly traits?: OpTraits;
  /**
   * Result types from operand types and attributes. Throws VitcError (via `fail`) on operands the
   * op does not accept; callers add the location.
   */
  infer(inputs: readonly TensorType[], attrs: AttrsOf<S>): TensorType[];
  /**
   * Reference semantics on the CPU: float32 storage, float64 accumulation. Shapes are concrete and
   * symbolic attribute dims have been substituted.
   */
  reference(inputs: readonly Tensor[], attrs: ResolvedAttrs<S>): Tensor[];
  /** Multiply-accumulate-equivalent floating-point operations for one execution (2 per MAC). */
  flops?(inputs: readonly TensorType[], outputs: readonly TensorType[], attrs: AttrsOf<S>): number;
}

/** Method-style parameter bivariance, so an OpDef<S> is usable where OpDef<AttrSchema> is expected. */
type Bivariant<F extends (...args: never[]) => unknown> = { m(...args: Parameters<F>): ReturnType<F> }['m'];

/** Declares an op; the identity function, present for inference of the attribute schema type. */
export function defineOp<const S extends AttrSchema>(def: OpDef<S>): OpDef<S> {
  return Object.freeze(def);
}

export function outputCount(op: OpDef, attrs: AttrsOf<AttrSchema>, numInputs: number): number {
  return typeof op.outputs === 'number' ? op.outputs : op.outputs(attrs, numInputs);
}

export interface OperandArity {
  readonly min: number;
  readonly max: number;
}

export function operandArity(op: OpDef): OperandArity {
  let min = 0;
  let max = 0;
  for (const name of op.inputs) {
    if (name.endsWith('...')) {
      min += 1;
      max = Infinity;
    } else if (name.endsWith('?')) {
      max += 1;
    } else {
      min += 1;
      max += 1;
    }
  }
  return { min, max };
}
