import type { Dim } from './dim.js';
import type { DType } from './dtype.js';
import type { Tensor } from './tensor.js';

/**
 * Typed attribute schemas. An op declares `attrs: { axis: attr.int(-1), perm: attr.ints() }` and
 * gets `{ readonly axis: number; readonly perm: readonly number[] }` as its attribute type.
 * The same schema drives text printing/parsing and ONNX conversion, so attributes are never
 * stringly typed.
 */
export interface AttrKinds {
  int: number;
  float: number;
  bool: boolean;
  string: string;
  ints: readonly number[];
  floats: readonly number[];
  dims: readonly Dim[];
  dtype: DType;
  tensor: Tensor;
}
export type AttrKind = keyof AttrKinds;

export interface AttrSpec<K extends AttrKind = AttrKind, Opt extends boolean = boolean> {
  readonly kind: K;
  /** Used when the attribute is omitted; the printer omits attributes equal to it. */
  readonly default?: AttrKinds[K];
  /** The attribute may be absent (value undefined). */
  readonly optional: Opt;
  /** For 'string' attributes with a closed set of values. */
  readonly oneOf?: readonly string[];
}

export type AttrSchema = { readonly [name: string]: AttrSpec };

type ValueOfSpec<S> = S extends AttrSpec<infer K, infer Opt> ? (Opt extends true ? AttrKinds[K] | undefined : AttrKinds[K]) : never;

/** Attribute values as stored on a node: every non-optional attribute is present. */
export type AttrsOf<S extends AttrSchema> = { readonly [N in keyof S]: ValueOfSpec<S[N]> };

type Resolve<V> = V extends readonly Dim[] ? readonly number[] : V;
/** Attribute values with symbolic dims substituted, as the reference implementation sees them. */
export type ResolvedAttrs<S extends AttrSchema> = { readonly [N in keyof S]: Resolve<ValueOfSpec<S[N]>> };

type OptionalKeys<S extends AttrSchema> = {
  [N in keyof S]: S[N] extends { readonly default: unknown } ? N : S[N] extends AttrSpec<AttrKind, true> ? N : never;
}[keyof S];
type RequiredKeys<S extends AttrSchema> = Exclude<keyof S, OptionalKeys<S>>;

/** What a builder call may pass: attributes with defaults or marked optional may be left out. */
export type AttrsIn<S extends AttrSchema> = { readonly [N in RequiredKeys<S>]: ValueOfSpec<S[N]> } & {
  readonly [N in OptionalKeys<S>]?: ValueOfSpec<S[N]>;
};

function spec<K extends AttrKind>(kind: K) {
  function required(): AttrSpec<K, false>;
  function required<D extends AttrKinds[K]>(dflt: D): AttrSpec<K, false> & { readonly default: AttrKinds[K] };
  function required(dflt?: AttrKinds[K]): AttrSpec<K, false> {
    return dflt === undefined ? { kind, optional: false } : { kind, optional: false, default: dflt };
  }
  return required;
}

function oneOf<const V extends string>(values: readonly V[]): AttrSpec<'string', false>;
function oneOf<const V extends string>(values: readonly V[], dflt: V): AttrSpec<'string', false> & { readonly default: string };
function oneOf<const V extends string>(values: readonly V[], dflt?: V): AttrSpec<'string', false> {
  return dflt === undefined ? { kind: 'string', optional: false, oneOf: values } : { kind: 'string', optional: false, oneOf: values, default: dflt };
}

export const attr = {
  int: spec('int'),
  float: spec('float'),
  bool: spec('bool'),
  string: spec('string'),
  ints: spec('ints'),
  floats: spec('floats'),
  dims: spec('dims'),
  dtype: spec('dtype'),
  tensor: spec('tensor'),
  /** A string attribute restricted to `values` (with a default, it may be left out). */
  oneOf: oneOf,
  /** An attribute that may be absent. */
  optional<K extends AttrKind>(kind: K): AttrSpec<K, true> {
    return { kind, optional: true };
  },
};

export function attrValueEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => Object.is(x, b[i]) || x === b[i]);
  return false;
}
