import type { Graph } from '../ir/graph.js';
import type { OptionSchema, OptionsOf } from './options.js';
import type { Property } from './properties.js';

/** What a running pass may use besides its graph and options. */
export interface PassContext {
  /** Informational notes ("skipped folding a 12 MiB expand"); the driver decides where they go. */
  remark(message: string): void;
}

/**
 * A property a pass establishes only when one of its options is given (infer-shapes{batch=...}).
 * The registry checks that `whenOption` names an option of the pass.
 */
export interface ConditionalProperty {
  readonly property: Property;
  readonly whenOption: string;
}

/**
 * A graph pass: a pure function from graph to graph plus the facts the pass manager needs to
 * check a pipeline before running it. Conventions:
 * - return the input graph object itself when nothing changed (the manager then keeps every
 *   property, and print-after-change stays quiet);
 * - errors caused by the input (a batch that does not fit) are VitcError; the manager adds the
 *   pass name.
 */
export interface PassDef<S extends OptionSchema = OptionSchema> {
  /** Name in pipeline strings, kebab-case. Unique in the registry. */
  readonly name: string;
  readonly summary: string;
  readonly options: S;
  /** Properties that must hold before the pass runs. */
  readonly requires: readonly Property[];
  /** Properties that hold after it runs. */
  readonly establishes: readonly (Property | ConditionalProperty)[];
  /** Properties that stay true if they held before; all others are dropped when the graph changes. */
  readonly preserves: readonly Property[] | 'all';
  run(graph: Graph, options: OptionsOf<S>, ctx: PassContext): Graph;
}

/** Declares a pass; the identity function, present for inference of the option schema type. */
export function definePass<const S extends OptionSchema>(def: PassDef<S>): PassDef<S> {
  return Object.freeze(def);
}

/** The properties a pass establishes with these options. */
export function establishedBy(pass: PassDef, options: OptionsOf<OptionSchema>): Property[] {
  const out: Property[] = [];
  for (const e of pass.establishes) {
    if (typeof e === 'string') out.push(e);
    else if (options[e.whenOption] !== undefined && options[e.whenOption] !== false) out.push(e.property);
  }
  return out;
}

export function preservesProperty(pass: PassDef, p: Property): boolean {
  return pass.preserves === 'all' || pass.preserves.includes(p);
}
