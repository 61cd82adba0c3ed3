import { erf } from '../../runtime/reference/kernels/erf.js';
import { viewOffsets, type View } from '../plan/view.js';
import type { BinaryFn, EExpr, UnaryFn } from './expr.js';
import type { AttentionWorkload, ElementwiseWorkload, MatmulWorkload, ReduceWorkload, RowWorkload, Workload } from './types.js';

/*
 * A plain-loop CPU evaluation of a workload, in float64: the oracle that tuning candidates and
 * lowering tests are checked against. It shares nothing with the lowering but the view
 * definition (viewOffsets), so a kernel that indexes, tiles or fuses wrongly disagrees with it.
 */

/** The memory an operand is read from (what its view addresses). */
export type OperandData = Float32Array | Int32Array;

/**
 * Evaluates `w` on operand buffers (one per operand, in operand order; operands that share
 * memory may pass the same array) and writes the result into `out` through the output view.
 * Elements of `out` outside the view are left untouched.
 */
export function evaluateWorkload(w: Workload, operands: readonly OperandData[], out: Float64Array | Float32Array): void {
  if (operands.length !== w.operands.length) throw new Error(`evaluate: ${w.operands.length} operands expected, got ${operands.length}`);
  switch (w.kind) {
    case 'elementwise':
      return evaluateElementwise(w, operands, out);
    case 'matmul':
      return evaluateMatmul(w, operands, out);
    case 'row':
      return evaluateRow(w, operands, out);
    case 'reduce':
      return evaluateReduce(w, operands, out);
    case 'attention':
      return evaluateAttention(w, operands, out);
  }
}

/** Logical elements of one operand through its view, row-major, as float64 (padding reads `pad`). */
export function readView(view: View, data: OperandData, pad = 0): Float64Array {
  const offsets = viewOffsets(view);
  const out = new Float64Array(offsets.length);
  for (let i = 0; i < offsets.length; i++) {
    const o = offsets[i]!;
    out[i] = o < 0 ? pad : data[o]!;
  }
  return out;
}

/** Writes logical values (row-major over the view's shape) into memory through the view. */
function writeView(view: View, values: Float64Array, out: Float64Array | Float32Array): void {
  const offsets = viewOffsets(view);
  for (let i = 0; i < offsets.length; i++) if (offsets[i]! >= 0) out[offsets[i]!] = values[i]!;
}

function product(xs: readonly number[]): number {
  return xs.reduce((a, b) => a * b, 1);
}

/** Each operand's logical values, read lazily (only operands the workload uses). */
function operandReader(w: Workload, operands: readonly OperandData[]): (i: number) => Float64Array {
  const cache = new Map<number, Float64Array>();
  return (i) => {
    let v = cache.get(i);
    if (!v) {
      const op = w.operands[i]!;
      v = readView(op.view, operands[i]!, op.pad ?? 0);
      cache.set(i, v);
    }
    return v;
  };
}

function evaluateElementwise(w: ElementwiseWorkload, operands: readonly OperandData[], out: Float64Array | Float32Array): void {
  const read = operandReader(w, operands);
  const n = product(w.shape);
  const result = new Float64Array(n);
  for (let i = 0; i < n; i++) result[i] = pointwise(w.expr, NaN, (x) => read(x)[i]!);
  writeView(w.output.view, result, out);
}

function evaluateMatmul(w: MatmulWorkload, operands: readonly OperandData[], out: Float64Array | Float32Array): void {
  const read = operandReader(w, operands);
  const { m, n, k } = w;
  const batches = product(w.batch);
  const a = read(w.a);
  const b = read(w.b);
  const p = w.prologue;
  const gamma = p && p.gamma !== null ? read(p.gamma) : undefined;
  const beta = p && p.beta !== null ? read(p.beta) : undefined;
  const result = new Float64Array(batches * m * n);
  const row = new Float64Array(k);
  for (let bi = 0; bi < batches; bi++) {
    for (let i = 0; i < m; i++) {
      for (let kk = 0; kk < k; kk++) row[kk] = a[(bi * m + i) * k + kk]!;
      if (p) {
        // LayerNorm of the row; with gamma/beta folded into the weights only (x - mean) * rstd remains.
        let mean = 0;
        for (let kk = 0; kk < k; kk++) mean += row[kk]!;
        mean /= k;
        let variance = 0;
        for (let kk = 0; kk < k; kk++) variance += (row[kk]! - mean) ** 2;
        const rstd = 1 / Math.sqrt(variance / k + p.epsilon);
        for (let kk = 0; kk < k; kk++) row[kk] = (row[kk]! - mean) * rstd * (gamma ? gamma[kk]! : 1) + (beta ? beta[kk]! : 0);
      }
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let kk = 0; kk < k; kk++) acc += row[kk]! * b[(bi * k + kk) * n + j]!;
        const e = (bi * m + i) * n + j;
        result[e] = pointwise(w.epilogue, acc, (x) => read(x)[e]!);
      }
    }
  }
  writeView(w.output.view, result, out);
}

function evaluateRow(w: RowWorkload, operands: readonly OperandData[], out: Float64Array | Float32Array): void {
  const read = operandReader(w, operands);
  const x = read(w.x);
  const { rows, cols } = w;
  const result = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const at = (c: number) => x[r * cols + c]!;
    const normalized = new Float64Array(cols);
    if (w.op === 'softmax') {
      let max = -Infinity;
      for (let c = 0; c < cols; c++) max = Math.max(max, at(c));
      let sum = 0;
      for (let c = 0; c < cols; c++) sum += Math.exp(at(c) - max);
      for (let c = 0; c < cols; c++) normalized[c] = Math.exp(at(c) - max) / sum;
    } else {
      let mean = 0;
      for (let c = 0; c < cols; c++) mean += at(c);
      mean /= cols;
      let variance = 0;
      for (let c = 0; c < cols; c++) variance += (at(c) - mean) ** 2;
      const rstd = 1 / Math.sqrt(variance / cols + w.epsilon);
      for (let c = 0; c < cols; c++) {
        let y = (at(c) - mean) * rstd;
        if (w.gamma !== null) y *= read(w.gamma)[r * cols + c]!;
        if (w.beta !== null) y += read(w.beta)[r * cols + c]!;
        normalized[c] = y;
      }
    }
    for (let c = 0; c < cols; c++) {
      const e = r * cols + c;
      result[e] = pointwise(w.epilogue, normalized[c]!, (i) => read(i)[e]!);
    }
  }
  writeView(w.output.view, result, out);
}

function evaluateReduce(w: ReduceWorkload, operands: readonly OperandData[], out: Float64Array | Float32Array): void {
  const read = operandReader(w, operands);
  const outer = product(w.shape);
  const inner = product(w.reduceShape);
  const result = new Float64Array(outer);
  for (let o = 0; o < outer; o++) {
    let acc = w.combine === 'max' ? -Infinity : 0;
    for (let r = 0; r < inner; r++) {
      const v = pointwise(w.body, acc, (i) => read(i)[o * inner + r]!);
      acc = w.combine === 'max' ? Math.max(acc, v) : acc + v;
    }
    const reduced = w.combine === 'mean' ? acc / inner : acc;
    result[o] = pointwise(w.epilogue, reduced, (i) => read(i)[o]!);
  }
  writeView(w.output.view, result, out);
}

function evaluateAttention(w: AttentionWorkload, operands: readonly OperandData[], out: Float64Array | Float32Array): void {
  const read = operandReader(w, operands);
  const q = read(w.q);
  const k = read(w.k);
  const v = read(w.v);
  const bias = w.bias === null ? undefined : read(w.bias);
  const { tq, tk, d, dv } = w;
  const batches = product(w.batch);
  const result = new Float64Array(batches * tq * dv);
  const scores = new Float64Array(tk);
  for (let b = 0; b < batches; b++) {
    for (let i = 0; i < tq; i++) {
      let max = -Infinity;
      for (let j = 0; j < tk; j++) {
        let s = 0;
        for (let c = 0; c < d; c++) s += q[(b * tq + i) * d + c]! * k[(b * tk + j) * d + c]!;
        s = s * w.scale + (bias ? bias[(b * tq + i) * tk + j]! : 0);
        scores[j] = s;
        max = Math.max(max, s);
      }
      let sum = 0;
      for (let j = 0; j < tk; j++) sum += scores[j] = Math.exp(scores[j]! - max);
      for (let c = 0; c < dv; c++) {
        let acc = 0;
        for (let j = 0; j < tk; j++) acc += scores[j]! * v[(b * tk + j) * dv + c]!;
        result[(b * tq + i) * dv + c] = acc / sum;
      }
    }
  }
  writeView(w.output.view, result, out);
}

/** Value of a pointwise expression; comparisons and logic yield 1 or 0, conditions test non-zero. */
export function pointwise(e: EExpr, acc: number, input: (index: number) => number): number {
  switch (e.op) {
    case 'acc':
      return acc;
    case 'input':
      return input(e.index);
    case 'const':
      return e.value;
    case 'unary':
      return unary(e.fn, pointwise(e.a, acc, input));
    case 'binary':
      return binary(e.fn, pointwise(e.a, acc, input), pointwise(e.b, acc, input));
    case 'where':
      return pointwise(e.cond, acc, input) !== 0 ? pointwise(e.a, acc, input) : pointwise(e.b, acc, input);
    case 'clip': {
      let x = pointwise(e.a, acc, input);
      if (e.lo !== null) x = Math.max(x, e.lo);
      if (e.hi !== null) x = Math.min(x, e.hi);
      return x;
    }
  }
}

function unary(fn: UnaryFn, x: number): number {
  switch (fn) {
    case 'neg':
      return -x;
    case 'abs':
      return Math.abs(x);
    case 'exp':
      return Math.exp(x);
    case 'log':
      return Math.log(x);
    case 'sqrt':
      return Math.sqrt(x);
    case 'reciprocal':
      return 1 / x;
    case 'erf':
      return erf(x);
    case 'tanh':
      return Math.tanh(x);
    case 'sigmoid':
      return 1 / (1 + Math.exp(-x));
    case 'relu':
      return Math.max(x, 0);
    case 'gelu':
      return 0.5 * x * (1 + erf(x / Math.SQRT2));
    case 'gelu_tanh':
      return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
    case 'silu':
      return x / (1 + Math.exp(-x));
    case 'hard_sigmoid':
      return Math.min(1, Math.max(0, x / 6 + 0.5));
    case 'hard_swish':
      return x * Math.min(1, Math.max(0, x / 6 + 0.5));
    case 'floor':
      return Math.floor(x);
    case 'ceil':
      return Math.ceil(x);
    case 'not':
      return x === 0 ? 1 : 0;
  }
}

function binary(fn: BinaryFn, a: number, b: number): number {
  switch (fn) {
    case 'add':
      return a + b;
    case 'sub':
      return a - b;
    case 'mul':
      return a * b;
    case 'div':
      return a / b;
    case 'pow':
      return a ** b;
    case 'max':
      return Math.max(a, b);
    case 'min':
      return Math.min(a, b);
    case 'equal':
      return a === b ? 1 : 0;
    case 'less':
      return a < b ? 1 : 0;
    case 'greater':
      return a > b ? 1 : 0;
    case 'and':
      return a !== 0 && b !== 0 ? 1 : 0;
    case 'or':
      return a !== 0 || b !== 0 ? 1 : 0;
  }
}

/** Elements of memory the output view covers (where a kernel's result can be compared). */
export function outputPositions(w: Workload): Int32Array {
  return viewOffsets(w.output.view).filter((o) => o >= 0);
}
