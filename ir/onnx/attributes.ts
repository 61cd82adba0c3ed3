import { VitcError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { OnnxAttrType, type OnnxAttribute } from './schema.js';
import { type TensorSource, tensorFromProto } from './tensor-proto.js';

const TYPE_NAMES: ReadonlyMap<number, string> = new Map(Object.entries(OnnxAttrType).map(([k, v]) => [v, k]));

/**
 * Typed access to a node's ONNX attributes. Every attribute a converter reads (or explicitly
 * ignores) is marked; `unread()` lists the rest, so an attribute vitc does not implement is
 * reported instead of silently changing the semantics.
 */
export class OnnxAttrs {
  readonly #byName = new Map<string, OnnxAttribute>();
  readonly #read = new Set<string>();
  readonly #src: TensorSource;

  constructor(list: readonly OnnxAttribute[], src: TensorSource) {
    for (const a of list) {
      if (!a.name) throw new VitcError('an attribute has no name');
      if (a.refAttrName) throw new VitcError(`attribute '${a.name}' refers to a function attribute, which vitc does not support`);
      this.#byName.set(a.name, a);
    }
    this.#src = src;
  }

  has(name: string): boolean {
    return this.#byName.has(name);
  }

  /** Marks attributes that do not affect inference results (e.g. BatchNormalization's momentum). */
  ignore(...names: string[]): void {
    for (const n of names) this.#read.add(n);
  }

  unread(): string[] {
    return [...this.#byName.keys()].filter((n) => !this.#read.has(n));
  }

  int(name: string): number | undefined;
  int(name: string, dflt: number): number;
  int(name: string, dflt?: number): number | undefined {
    const a = this.#get(name, OnnxAttrType.INT);
    return a ? (a.i ?? 0) : dflt;
  }

  float(name: string): number | undefined;
  float(name: string, dflt: number): number;
  float(name: string, dflt?: number): number | undefined {
    const a = this.#get(name, OnnxAttrType.FLOAT);
    return a ? (a.f ?? 0) : dflt;
  }

  string(name: string): string | undefined;
  string(name: string, dflt: string): string;
  string(name: string, dflt?: string): string | undefined {
    const a = this.#get(name, OnnxAttrType.STRING);
    return a ? Buffer.from(a.s ?? new Uint8Array()).toString('utf8') : dflt;
  }

  ints(name: string): number[] | undefined;
  ints(name: string, dflt: readonly number[]): number[];
  ints(name: string, dflt?: readonly number[]): number[] | undefined {
    const a = this.#get(name, OnnxAttrType.INTS);
    return a ? [...(a.ints ?? [])] : dflt && [...dflt];
  }

  floats(name: string): number[] | undefined {
    const a = this.#get(name, OnnxAttrType.FLOATS);
    return a ? [...(a.floats ?? [])] : undefined;
  }

  tensor(name: string): Tensor | undefined {
    const a = this.#get(name, OnnxAttrType.TENSOR);
    if (!a) return undefined;
    if (!a.t) throw new VitcError(`attribute '${name}' has no tensor`);
    return tensorFromProto(a.t, this.#src, `${name} attribute`);
  }

  #get(name: string, want: number): OnnxAttribute | undefined {
    const a = this.#byName.get(name);
    this.#read.add(name);
    if (!a) return undefined;
    const type = a.type ?? inferType(a);
    if (type !== want) throw new VitcError(`attribute '${name}' is ${TYPE_NAMES.get(type) ?? `type #${type}`}, expected ${TYPE_NAMES.get(want)}`);
    return a;
  }
}

/** Attribute type for files that leave `type` unset (IR < 2 style): the populated field. */
function inferType(a: OnnxAttribute): number {
  if (a.f !== undefined) return OnnxAttrType.FLOAT;
  if (a.i !== undefined) return OnnxAttrType.INT;
  if (a.s !== undefined) return OnnxAttrType.STRING;
  if (a.t !== undefined) return OnnxAttrType.TENSOR;
  if (a.g !== undefined) return OnnxAttrType.GRAPH;
  if (a.floats?.length) return OnnxAttrType.FLOATS;
  if (a.ints?.length) return OnnxAttrType.INTS;
  if (a.strings?.length) return OnnxAttrType.STRINGS;
  if (a.tensors?.length) return OnnxAttrType.TENSORS;
  if (a.graphs?.length) return OnnxAttrType.GRAPHS;
  return OnnxAttrType.UNDEFINED;
}
