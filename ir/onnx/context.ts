import type { AttrSchema, AttrsIn, AttrsOf, ResolvedAttrs } from '../attrs.js';
import { checkArity, type GraphBuilder } from '../builder.js';
import { type Dim, isStatic } from '../dim.js';
import { isFloat, isInteger } from '../dtype.js';
import { type SourceLoc, VitcError } from '../errors.js';
import type { Value } from '../graph.js';
import { normalizeAttrs } from '../normalize-attrs.js';
import { type OpDef, outputCount } from '../op.js';
import type { Tensor } from '../tensor.js';
import type { TensorType } from '../types.js';
import { OnnxAttrs } from './attributes.js';
import { dimsOf, type Known, knownConst, knownValue, typeOfKnown } from './known-values.js';
import type { OnnxNode } from './schema.js';
import { canEvalSymbolic, evalSymbolic } from './sym-eval.js';
import type { TensorSource } from './tensor-proto.js';

/** State shared by all nodes of one import. */
export interface ImportState {
  readonly builder: GraphBuilder;
  readonly src: TensorSource;
  readonly opset: number;
  /** Constants already emitted as `const` nodes, so each tensor is materialised once. */
  readonly constValues: Map<Tensor, Value>;
  /** Public value names in use (graph inputs, initializers already emitted, outputs). */
  readonly usedNames: Set<string>;
}

/** Turns a constant into a `const` node (once per tensor), keeping an initializer's name. */
export function materializeConst(state: ImportState, k: Known & { kind: 'const' }, loc?: SourceLoc): Value {
  const have = state.constValues.get(k.tensor);
  if (have) return have;
  const name = k.name !== undefined && !state.usedNames.has(k.name) ? k.name : undefined;
  if (name !== undefined) state.usedNames.add(name);
  const v = state.builder.constant(k.tensor, name, loc ? { loc } : {});
  state.constValues.set(k.tensor, v);
  return v;
}

/** An operand given to `emit`: something the importer knows, or an IR value. */
export type Operand = Known | Value;

function toKnown(o: Operand): Known {
  return 'kind' in o ? o : knownValue(o);
}

/**
 * What a converter sees of one ONNX node: its operands as Known values, typed attribute access,
 * and `emit`, which folds on constants, evaluates shape arithmetic symbolically, and otherwise
 * appends IR nodes carrying the ONNX node's name and location.
 */
export class NodeContext {
  readonly node: OnnxNode;
  readonly opType: string;
  readonly name: string | undefined;
  readonly attrs: OnnxAttrs;
  readonly loc: SourceLoc;
  readonly #state: ImportState;
  readonly #inputs: readonly (Known | undefined)[];

  constructor(state: ImportState, node: OnnxNode, inputs: readonly (Known | undefined)[]) {
    this.#state = state;
    this.node = node;
    this.opType = node.opType!;
    this.name = node.name || undefined;
    this.loc = { file: state.src.file, context: describeNode(node) };
    this.#inputs = inputs;
    this.attrs = new OnnxAttrs(node.attribute ?? [], state.src);
  }

  get opset(): number {
    return this.#state.opset;
  }

  /** Number of input slots (including empty optional ones). */
  get inputCount(): number {
    return this.#inputs.length;
  }

  /** Whether optional input `i` is given. */
  has(i: number): boolean {
    return this.#inputs[i] !== undefined;
  }

  input(i: number, what = `input ${i}`): Known {
    const k = this.#inputs[i];
    if (!k) throw new VitcError(`${what} is missing`);
    if (k.kind === 'absent') throw new VitcError(k.why);
    return k;
  }

  type(i: number): TensorType {
    return typeOfKnown(this.input(i))!;
  }

  /** Input `i` as an IR value (constants become `const` nodes). */
  value(i: number, what?: string): Value {
    return this.materialize(this.input(i, what), what ?? `input ${i}`);
  }

  materialize(k: Known, what = 'a value'): Value {
    switch (k.kind) {
      case 'value':
        return k.value;
      case 'const':
        return materializeConst(this.#state, k, this.loc);
      case 'sym':
        throw new VitcError(`${what} depends on the batch size [${k.sym.elems.join(',')}] and is used as data; vitc supports symbolic sizes only in shape computations`);
      case 'absent':
        throw new VitcError(k.why);
    }
  }

  /** Input `i` as a constant tensor; fails if it is computed at run time. */
  tensor(i: number, what: string): Tensor {
    const k = this.input(i, what);
    if (k.kind === 'const') return k.tensor;
    if (k.kind === 'sym') throw new VitcError(`${what} depends on the batch size ([${k.sym.elems.join(',')}]); it must be a constant`);
    throw new VitcError(`${what} is computed at run time; vitc needs it to be a constant`);
  }

  /** Input `i` as integers (a constant 0-D or 1-D integer tensor). */
  ints(i: number, what: string): number[] {
    const t = this.tensor(i, what);
    if (!isInteger(t.dtype)) throw new VitcError(`${what} must be an integer tensor, got ${t.dtype}`);
    return t.toNumbers();
  }

  /** Input `i` as scalar number (constant of any numeric type and one element). */
  scalar(i: number, what: string): number {
    const t = this.tensor(i, what);
    if (t.size !== 1) throw new VitcError(`${what} must have one element, got shape [${t.shape.join(',')}]`);
    return t.get(0);
  }

  /** Input `i` as dims: a constant or symbolic 1-D integer tensor (shapes, sizes). */
  dims(i: number, what: string): Dim[] {
    const k = this.input(i, what);
    const t = typeOfKnown(k)!;
    if (k.kind === 'value') throw new VitcError(`${what} is computed at run time; vitc needs it to be known at import (a constant or a function of the batch size)`);
    if (!isInteger(t.dtype) && !(k.kind === 'const' && isFloat(t.dtype))) throw new VitcError(`${what} must be an integer tensor, got ${t.dtype}`);
    if (t.shape.length > 1) throw new VitcError(`${what} must be 1-D, got shape [${t.shape.join(',')}]`);
    const d = dimsOf(k);
    if (!d) throw new VitcError(`${what} must hold integers`);
    return d;
  }

  /**
   * Applies an IR op. Constant operands fold to a constant (the op's reference implementation),
   * shape arithmetic on symbolic sizes is evaluated at import, anything else becomes IR nodes.
   */
  emit<S extends AttrSchema>(op: OpDef<S>, operands: readonly Operand[], attrs: AttrsIn<S>): Known[] {
    const ks = operands.map(toKnown);
    for (const k of ks) if (k.kind === 'absent') throw new VitcError(k.why);
    const full = normalizeAttrs(op, attrs);
    const staticAttrs = !hasSymbolicAttr(op, full);
    if (staticAttrs && ks.every((k) => k.kind === 'const')) return this.#fold(op, ks, full);
    if (staticAttrs && ks.every((k) => k.kind !== 'value') && canEvalSymbolic(op)) {
      checkArity(op, ks.length);
      op.infer(ks.map((k) => typeOfKnown(k)!), full);
      return evalSymbolic(op as unknown as OpDef, ks, full as AttrsOf<AttrSchema>);
    }
    const values = ks.map((k, i) => this.materialize(k, `operand ${i} of '${op.name}'`));
    const opts = this.name !== undefined ? { name: this.name, loc: this.loc } : { loc: this.loc };
    return this.#state.builder.add(op, values, full, opts).map(knownValue);
  }

  emit1<S extends AttrSchema>(op: OpDef<S>, operands: readonly Operand[], attrs: AttrsIn<S>): Known {
    const out = this.emit(op, operands, attrs);
    if (out.length !== 1) throw new VitcError(`'${op.name}' has ${out.length} results, expected 1`);
    return out[0]!;
  }

  #fold<S extends AttrSchema>(op: OpDef<S>, ks: readonly Known[], attrs: AttrsOf<S>): Known[] {
    checkArity(op, ks.length);
    const tensors = ks.map((k) => (k as Known & { kind: 'const' }).tensor);
    op.infer(
      tensors.map((t) => ({ dtype: t.dtype, shape: t.shape })),
      attrs,
    );
    const outs = op.reference(tensors, attrs as unknown as ResolvedAttrs<S>);
    if (outs.length !== outputCount(op as unknown as OpDef, attrs as AttrsOf<AttrSchema>, ks.length))
      throw new VitcError(`'${op.name}' reference produced ${outs.length} results`);
    return outs.map((t) => knownConst(t));
  }
}

function hasSymbolicAttr(op: OpDef<AttrSchema>, attrs: AttrsOf<AttrSchema>): boolean {
  for (const [k, spec] of Object.entries(op.attrs)) {
    if (spec.kind !== 'dims') continue;
    const v = attrs[k] as readonly Dim[] | undefined;
    if (v && !v.every(isStatic)) return true;
  }
  return false;
}

export function describeNode(node: OnnxNode): string {
  return `node '${node.name ?? ''}' (${node.opType ?? '?'})`;
}
