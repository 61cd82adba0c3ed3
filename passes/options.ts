import type { AttrSpec, AttrsOf } from '../ir/attrs.js';

/**
 * Typed pass options, on the same schema machinery as op attributes (ir/attrs.ts): a pass declares
 * `{ r: opt.int('tokens merged per layer', { min: 1 }) }` and its run function receives
 * `{ readonly r: number }`. The pipeline parser converts and checks the text against the schema.
 */
export type OptionKind = 'int' | 'float' | 'bool' | 'string' | 'ints' | 'floats' | 'dtype';

export interface OptionSpec<K extends OptionKind = OptionKind, Opt extends boolean = boolean> extends AttrSpec<K, Opt> {
  /** One line for `--help` and error messages. */
  readonly doc: string;
  /** Inclusive bounds for numbers (each element of a list). */
  readonly min?: number;
  readonly max?: number;
}

export type OptionSchema = { readonly [name: string]: OptionSpec };

/** Option values as a pass receives them: defaults filled, optional ones possibly undefined. */
export type OptionsOf<S extends OptionSchema> = AttrsOf<S>;

interface NumberBounds<T> {
  readonly default?: T;
  readonly min?: number;
  readonly max?: number;
}

function make<K extends OptionKind>(kind: K, doc: string, extra: { default?: unknown; min?: number; max?: number; oneOf?: readonly string[] }): OptionSpec<K, false> {
  const spec: Record<string, unknown> = { kind, optional: false, doc };
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) spec[k] = v;
  return Object.freeze(spec) as unknown as OptionSpec<K, false>;
}

export const opt = {
  int: (doc: string, b: NumberBounds<number> = {}) => make('int', doc, b),
  float: (doc: string, b: NumberBounds<number> = {}) => make('float', doc, b),
  ints: (doc: string, b: NumberBounds<readonly number[]> = {}) => make('ints', doc, b),
  floats: (doc: string, b: NumberBounds<readonly number[]> = {}) => make('floats', doc, b),
  dtype: (doc: string) => make('dtype', doc, {}),
  /** A bare word in the pipeline (`auto`) sets it; `flag=false` clears it. Defaults to false. */
  flag: (doc: string) => make('bool', doc, { default: false }),
  /** A string restricted to `values`. */
  oneOf: <const V extends string>(values: readonly V[], doc: string, dflt?: V) => make('string', doc, { oneOf: values, default: dflt }),
  /** An option that may be left out; the pass sees `undefined`. */
  optional<K extends OptionKind>(kind: K, doc: string, b: { min?: number; max?: number } = {}): OptionSpec<K, true> {
    return { ...make(kind, doc, b), optional: true } as OptionSpec<K, true>;
  },
};
