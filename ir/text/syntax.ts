/**
 * The text IR as parsed, before names are resolved or literals are read against op schemas.
 * Every piece carries its 1-based source position for error messages.
 */
export interface Pos {
  readonly line: number;
  readonly col: number;
}

/** `%name` / `%"name"` (name set) or `%12` (id set). */
export interface ValueNameSyntax {
  readonly name?: string;
  readonly id?: number;
  /** As written, for messages. */
  readonly text: string;
  readonly pos: Pos;
}

/** `-`? followed by a float, an integer, `k*sym`, or an identifier (`inf`, `true`, `N`, `f32`...). */
export interface ScalarSyntax {
  readonly kind: 'scalar';
  readonly negative: boolean;
  readonly token: 'float' | 'int' | 'ident';
  /** Image without the sign; for `k*sym`, the integer k. */
  readonly text: string;
  /** The symbol of `k*sym`. */
  readonly times?: string;
  readonly pos: Pos;
}

export interface ListSyntax {
  readonly kind: 'list';
  readonly items: readonly ScalarSyntax[];
  readonly pos: Pos;
}

export interface StringSyntax {
  readonly kind: 'string';
  readonly value: string;
  readonly pos: Pos;
}

/** `dense<...>`: a scalar or a flat row-major list. */
export interface DenseSyntax {
  readonly kind: 'dense';
  readonly body: ScalarSyntax | ListSyntax;
  readonly pos: Pos;
}

/** `@"key"`: a tensor stored in the weights file. */
export interface WeightRefSyntax {
  readonly kind: 'weight';
  readonly key: string;
  readonly pos: Pos;
}

export type TensorPayloadSyntax = DenseSyntax | WeightRefSyntax;

/** A tensor-valued attribute: payload and its type. */
export interface TensorSyntax {
  readonly kind: 'tensor';
  readonly payload: TensorPayloadSyntax;
  readonly type: TypeSyntax;
  readonly pos: Pos;
}

export type AttrValueSyntax = ScalarSyntax | ListSyntax | StringSyntax | TensorSyntax;

export interface TypeSyntax {
  readonly dtype: string;
  readonly dims: readonly ScalarSyntax[];
  readonly pos: Pos;
}

export interface AttrSyntax {
  readonly key: string;
  readonly keyPos: Pos;
  readonly value: AttrValueSyntax;
}

export interface NodeSyntax {
  readonly kind: 'node';
  readonly results: readonly ValueNameSyntax[];
  readonly op: string;
  readonly opPos: Pos;
  readonly payload?: TensorPayloadSyntax;
  readonly operands: readonly ValueNameSyntax[];
  readonly attrs: readonly AttrSyntax[];
  /** Declared result types, when written. */
  readonly types?: readonly TypeSyntax[];
  /** `loc("...")`: the node's source name. */
  readonly name?: string;
  readonly pos: Pos;
}

export interface ReturnSyntax {
  readonly kind: 'return';
  readonly values: readonly ValueNameSyntax[];
  readonly pos: Pos;
}

export interface ParamSyntax {
  readonly value: ValueNameSyntax;
  readonly type: TypeSyntax;
}

export interface GraphSyntax {
  readonly name: string;
  readonly params: readonly ParamSyntax[];
  readonly weights?: { readonly path: string; readonly pos: Pos };
  readonly body: readonly (NodeSyntax | ReturnSyntax)[];
  /** Position of the closing brace, for "missing return" messages. */
  readonly endPos: Pos;
}
