import { attr } from '../attrs.js';
import { broadcastShapes } from '../dim.js';
import { type DType, isFloat } from '../dtype.js';
import { fail } from '../errors.js';
import { defineOp } from '../op.js';
import type { Tensor } from '../tensor.js';
import { tensorType } from '../types.js';
import { forEachBroadcast2, broadcastOffsets } from '../../runtime/reference/kernels/broadcast.js';
import { erf } from '../../runtime/reference/kernels/erf.js';
import { numbersOf, tensorFrom } from '../../runtime/reference/kernels/storage.js';

type Accepts = 'float' | 'numeric' | 'bool' | 'any';

function checkDtype(op: string, d: DType, accepts: Accepts): void {
  const ok =
    accepts === 'any' ||
    (accepts === 'float' && isFloat(d)) ||
    (accepts === 'numeric' && d !== 'bool') ||
    (accepts === 'bool' && d === 'bool');
  if (!ok) fail(`'${op}' does not accept ${d} operands`);
}

function mapTensor(x: Tensor, outDtype: DType, f: (v: number) => number): Tensor {
  const src = numbersOf(x);
  const out = new Float64Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = f(src[i]!);
  return tensorFrom(outDtype, x.shape, out);
}

function unary(name: string, summary: string, f: (x: number) => number, accepts: Accepts = 'float') {
  return defineOp({
    name,
    summary,
    attrs: {},
    inputs: ['x'],
    outputs: 1,
    traits: { elementwise: true },
    infer: ([x]) => {
      checkDtype(name, x!.dtype, accepts);
      return [x!];
    },
    reference: ([x]) => [mapTensor(x!, x!.dtype, f)],
  });
}

export const Neg = unary('neg', '-x', (x) => -x, 'numeric');
export const Abs = unary('abs', '|x|', Math.abs, 'numeric');
export const Exp = unary('exp', 'e^x', Math.exp);
export const Log = unary('log', 'natural logarithm', Math.log);
export const Sqrt = unary('sqrt', 'square root', Math.sqrt);
export const Reciprocal = unary('reciprocal', '1/x', (x) => 1 / x);
export const Erf = unary('erf', 'error function', erf);
export const Tanh = unary('tanh', 'hyperbolic tangent', Math.tanh);
export const Sigmoid = unary('sigmoid', '1/(1+e^-x)', (x) => 1 / (1 + Math.exp(-x)));
export const Relu = unary('relu', 'max(x, 0)', (x) => (x > 0 ? x : 0), 'numeric');
export const Silu = unary('silu', 'x * sigmoid(x)', (x) => x / (1 + Math.exp(-x)));
export const HardSigmoid = unary('hard_sigmoid', 'clamp(x/6 + 1/2, 0, 1)', (x) => Math.min(1, Math.max(0, x / 6 + 0.5)));
export const HardSwish = unary('hard_swish', 'x * clamp(x/6 + 1/2, 0, 1)', (x) => x * Math.min(1, Math.max(0, x / 6 + 0.5)));
export const Floor = unary('floor', 'round down', Math.floor);
export const Ceil = unary('ceil', 'round up', Math.ceil);
export const Not = unary('not', 'logical not', (x) => (x ? 0 : 1), 'bool');

const SQRT1_2 = Math.SQRT1_2;
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** GELU, exact (erf) or with the tanh approximation. */
export const Gelu = defineOp({
  name: 'gelu',
  summary: 'x * Φ(x)',
  attrs: { approximate: attr.oneOf(['none', 'tanh'], 'none') },
  inputs: ['x'],
  outputs: 1,
  traits: { elementwise: true },
  infer: ([x]) => {
    checkDtype('gelu', x!.dtype, 'float');
    return [x!];
  },
  reference: ([x], a) => [
    mapTensor(
      x!,
      x!.dtype,
      a.approximate === 'tanh'
        ? (v) => 0.5 * v * (1 + Math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v)))
        : (v) => 0.5 * v * (1 + erf(v * SQRT1_2)),
    ),
  ],
});

/** clamp(x, min, max); an absent bound is unbounded. */
export const Clip = defineOp({
  name: 'clip',
  summary: 'clamp to [min, max]',
  attrs: { min: attr.optional('float'), max: attr.optional('float') },
  inputs: ['x'],
  outputs: 1,
  traits: { elementwise: true },
  infer: ([x]) => {
    checkDtype('clip', x!.dtype, 'numeric');
    return [x!];
  },
  reference: ([x], a) => {
    const lo = a.min ?? -Infinity;
    const hi = a.max ?? Infinity;
    return [mapTensor(x!, x!.dtype, (v) => Math.min(hi, Math.max(lo, v)))];
  },
});

/** Element type conversion. Float to integer truncates toward zero, as ONNX Cast does. */
export const Cast = defineOp({
  name: 'cast',
  summary: 'convert element type',
  attrs: { to: attr.dtype() },
  inputs: ['x'],
  outputs: 1,
  traits: { elementwise: true },
  infer: ([x], a) => [tensorType(a.to, x!.shape)],
  reference: ([x], a) => [tensorFrom(a.to, x!.shape, numbersOf(x!))],
});

function binary(
  name: string,
  summary: string,
  f: (a: number, b: number) => number,
  opts: { accepts?: Accepts; result?: 'same' | 'bool'; commutative?: boolean } = {},
) {
  const accepts = opts.accepts ?? 'numeric';
  return defineOp({
    name,
    summary,
    attrs: {},
    inputs: ['a', 'b'],
    outputs: 1,
    traits: { elementwise: true, commutative: opts.commutative ?? false },
    infer: ([a, b]) => {
      checkDtype(name, a!.dtype, accepts);
      if (a!.dtype !== b!.dtype) fail(`'${name}' operands have different element types ${a!.dtype} and ${b!.dtype}`);
      return [tensorType(opts.result === 'bool' ? 'bool' : a!.dtype, broadcastShapes(a!.shape, b!.shape))];
    },
    reference: ([a, b]) => {
      const shape = broadcastShapes(a!.shape, b!.shape) as number[];
      const x = numbersOf(a!);
      const y = numbersOf(b!);
      const out = new Float64Array(shape.reduce((p, q) => p * q, 1));
      forEachBroadcast2(shape, a!.shape, b!.shape, (o, i, j) => {
        out[o] = f(x[i]!, y[j]!);
      });
      return [tensorFrom(opts.result === 'bool' ? 'bool' : a!.dtype, shape, out)];
    },
  });
}

/** Integer division truncates toward zero (ONNX Div on integers); float division is IEEE. */
function divide(a: number, b: number): number {
  return a / b;
}

export const Add = binary('add', 'a + b', (a, b) => a + b, { commutative: true });
export const Sub = binary('sub', 'a - b', (a, b) => a - b);
export const Mul = binary('mul', 'a * b', (a, b) => a * b, { commutative: true });
export const Div = binary('div', 'a / b', divide);
export const Pow = binary('pow', 'a ^ b', (a, b) => (b === 2 ? a * a : b === 0.5 ? Math.sqrt(a) : Math.pow(a, b)), { accepts: 'float' });
export const Max = binary('max', 'max(a, b)', (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b)), { commutative: true });
export const Min = binary('min', 'min(a, b)', (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b)), { commutative: true });
/** Integer modulo with the sign of the divisor (ONNX Mod, fmod=0). */
export const Mod = binary('mod', 'a mod b', (a, b) => {
  const r = a % b;
  return r !== 0 && r < 0 !== b < 0 ? r + b : r;
});
export const Equal = binary('equal', 'a == b', (a, b) => (a === b ? 1 : 0), { accepts: 'any', result: 'bool', commutative: true });
export const Less = binary('less', 'a < b', (a, b) => (a < b ? 1 : 0), { result: 'bool' });
export const Greater = binary('greater', 'a > b', (a, b) => (a > b ? 1 : 0), { result: 'bool' });
export const And = binary('and', 'a && b', (a, b) => (a && b ? 1 : 0), { accepts: 'bool', result: 'bool', commutative: true });
export const Or = binary('or', 'a || b', (a, b) => (a || b ? 1 : 0), { accepts: 'bool', result: 'bool', commutative: true });

/** cond ? x : y with three-way broadcasting. */
export const Where = defineOp({
  name: 'where',
  summary: 'select x where cond, else y',
  attrs: {},
  inputs: ['cond', 'x', 'y'],
  outputs: 1,
  traits: { elementwise: true },
  infer: ([c, x, y]) => {
    if (c!.dtype !== 'bool') fail(`'where' condition must be bool, got ${c!.dtype}`);
    if (x!.dtype !== y!.dtype) fail(`'where' branches have different element types ${x!.dtype} and ${y!.dtype}`);
    return [tensorType(x!.dtype, broadcastShapes(broadcastShapes(c!.shape, x!.shape), y!.shape))];
  },
  reference: ([c, x, y]) => {
    const shape = broadcastShapes(broadcastShapes(c!.shape, x!.shape), y!.shape) as number[];
    const oc = broadcastOffsets(c!.shape, shape);
    const ox = broadcastOffsets(x!.shape, shape);
    const oy = broadcastOffsets(y!.shape, shape);
    const cv = c!.data;
    const xv = numbersOf(x!);
    const yv = numbersOf(y!);
    const out = new Float64Array(oc.length);
    for (let i = 0; i < out.length; i++) out[i] = cv[oc[i]!] ? xv[ox[i]!]! : yv[oy[i]!]!;
    return [tensorFrom(x!.dtype, shape, out)];
  },
});
