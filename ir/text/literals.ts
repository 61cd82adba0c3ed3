import type { AttrSpec } from '../attrs.js';
import { type Dim, isStatic, makeSym } from '../dim.js';
import { type DType, DTYPES, floatToHalf, isDType } from '../dtype.js';
import { VitcError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { type TensorType, tensorType, typeToString } from '../types.js';
import { readFloat, type FloatFormat } from './float-format.js';
import type { AttrValueSyntax, DenseSyntax, Pos, ScalarSyntax, TensorSyntax, TypeSyntax } from './syntax.js';

/**
 * Reading literals against what they must be: a type, a dim, an attribute of a given schema kind,
 * or the elements of a dense tensor. Errors carry the literal's line:col.
 */

function fail(message: string, pos: Pos): never {
  throw new VitcError(message, pos);
}

function scalarText(s: ScalarSyntax): string {
  return `${s.negative ? '-' : ''}${s.text}${s.times !== undefined ? `*${s.times}` : ''}`;
}

export function readDType(name: string, pos: Pos): DType {
  if (!isDType(name)) fail(`unknown element type '${name}' (expected one of ${DTYPES.join(', ')})`, pos);
  return name;
}

export function readType(t: TypeSyntax): TensorType {
  return tensorType(readDType(t.dtype, t.pos), t.dims.map(readDim));
}

/** A dimension: a non-negative integer, a symbol `N`, or a multiple `4*N`. */
export function readDim(s: ScalarSyntax): Dim {
  const bad = (): never => fail(`expected a dimension (an integer ≥ 0, a symbol like N, or k*N), found '${scalarText(s)}'`, s.pos);
  if (s.negative || s.token === 'float') return bad();
  if (s.token === 'ident') return s.text;
  const k = Number(s.text);
  if (!Number.isSafeInteger(k)) return bad();
  return s.times !== undefined ? makeSym(k, s.times) : k;
}

export function readInt(s: ScalarSyntax, what = 'an integer'): number {
  if (s.token !== 'int' || s.times !== undefined) fail(`expected ${what}, found '${scalarText(s)}'`, s.pos);
  const v = Number(s.text) * (s.negative ? -1 : 1);
  if (!Number.isSafeInteger(v)) fail(`integer ${scalarText(s)} is out of range (beyond ±2^53)`, s.pos);
  return v;
}

/** A number read as `format`: integers, decimals, `inf`, `nan`, each optionally negated. */
export function readNumber(s: ScalarSyntax, format: FloatFormat): number {
  let v: number;
  if (s.token === 'ident' && (s.text === 'inf' || s.text === 'nan')) v = s.text === 'inf' ? Infinity : NaN;
  else if ((s.token === 'int' || s.token === 'float') && s.times === undefined) v = readFloat(s.text, format);
  else return fail(`expected a number, found '${scalarText(s)}'`, s.pos);
  return s.negative ? -v : v;
}

export function readBool(s: ScalarSyntax): boolean {
  if (s.token !== 'ident' || s.negative || (s.text !== 'true' && s.text !== 'false')) fail(`expected true or false, found '${scalarText(s)}'`, s.pos);
  return s.text === 'true';
}

const INT_RANGES: Partial<Record<DType, readonly [number, number]>> = {
  i64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  i32: [-(2 ** 31), 2 ** 31 - 1],
  i8: [-128, 127],
  u8: [0, 255],
};

function readElement(s: ScalarSyntax, dtype: DType): number {
  switch (dtype) {
    case 'f32':
      return readNumber(s, 'f32');
    case 'f16':
      return floatToHalf(readNumber(s, 'f16'));
    case 'bool':
      return readBool(s) ? 1 : 0;
    default: {
      const v = readInt(s, `an integer (${dtype} element)`);
      const [lo, hi] = INT_RANGES[dtype]!;
      if (v < lo || v > hi) fail(`${v} is out of range for ${dtype} (${lo}..${hi})`, s.pos);
      return v;
    }
  }
}

/** Static shape of a tensor literal's type. */
export function staticShape(type: TensorType, pos: Pos): number[] {
  if (!type.shape.every(isStatic)) fail(`a constant tensor needs a static shape, got ${typeToString(type)}`, pos);
  return type.shape as number[];
}

/** `dense<...>` elements in row-major order; a bare scalar is allowed for one-element tensors. */
export function readDense(d: DenseSyntax, type: TensorType, typePos: Pos): Tensor {
  const shape = staticShape(type, typePos);
  const t = new Tensor(type.dtype, shape);
  const items = d.body.kind === 'list' ? d.body.items : [d.body];
  if (items.length !== t.size)
    fail(`dense literal has ${items.length} element${items.length === 1 ? '' : 's'} but ${typeToString(type)} needs ${t.size}`, d.body.pos);
  items.forEach((s, i) => {
    t.data[i] = readElement(s, type.dtype);
  });
  return t;
}

/** Resolves a tensor literal's payload (inline or from the weights file) for a known type. */
export type TensorReader = (lit: TensorSyntax) => Tensor;

/** An attribute value read as its schema kind says. */
export function readAttr(opName: string, key: string, spec: AttrSpec, v: AttrValueSyntax, readTensor: TensorReader): unknown {
  const want = (what: string): never => fail(`attribute '${key}' of '${opName}' must be ${what}`, v.pos);
  const scalar = (): ScalarSyntax => (v.kind === 'scalar' ? v : want(KIND_WORDS[spec.kind]));
  const list = (): readonly ScalarSyntax[] => (v.kind === 'list' ? v.items : want(KIND_WORDS[spec.kind]));
  switch (spec.kind) {
    case 'int':
      return readInt(scalar());
    case 'float':
      return readNumber(scalar(), 'f64');
    case 'bool':
      return readBool(scalar());
    case 'string': {
      if (v.kind !== 'string') return want('a string');
      if (spec.oneOf && !spec.oneOf.includes(v.value)) want(`one of ${spec.oneOf.map((s) => JSON.stringify(s)).join(', ')}`);
      return v.value;
    }
    case 'ints':
      return list().map((s) => readInt(s));
    case 'floats':
      return list().map((s) => readNumber(s, 'f64'));
    case 'dims':
      return list().map(readDim);
    case 'dtype': {
      const s = scalar();
      if (s.token !== 'ident' || s.negative) return want('an element type');
      return readDType(s.text, s.pos);
    }
    case 'tensor':
      return v.kind === 'tensor' ? readTensor(v) : want('a tensor (dense<...> : type or @"key" : type)');
  }
}

const KIND_WORDS: Record<AttrSpec['kind'], string> = {
  int: 'an integer',
  float: 'a number',
  bool: 'true or false',
  string: 'a string',
  ints: 'a list of integers',
  floats: 'a list of numbers',
  dims: 'a list of dimensions',
  dtype: 'an element type',
  tensor: 'a tensor',
};
