import { attr } from '../attrs.js';
import { type Dim, shapeToString } from '../dim.js';
import { fail } from '../errors.js';
import { defineOp } from '../op.js';
import { type TensorType, tensorType } from '../types.js';
import { numbersOf, tensorFrom } from '../../runtime/reference/kernels/storage.js';
import { topK } from '../../runtime/reference/kernels/top-k.js';
import { countPerBatch, requireNumeric, staticAxis } from './operand-checks.js';

/** The static length n of x's last axis and the result shape [..., k]. */
function topKShape(x: TensorType, k: number): { n: number; shape: Dim[] } {
  requireNumeric('top_k', x);
  if (x.shape.length === 0) fail(`'top_k' needs an operand of rank ≥ 1, got a scalar`);
  const n = staticAxis('top_k', x.shape, x.shape.length - 1, 'last');
  if (!Number.isInteger(k) || k < 1 || k > n) fail(`'top_k' k=${k} must be between 1 and the last axis length ${n} of ${shapeToString(x.shape)}`);
  return { n, shape: [...x.shape.slice(0, -1), k] };
}

/**
 * The k largest (`largest`, default) or smallest entries of the last axis, sorted (descending or
 * ascending), and their positions (i64). Equal entries keep the lower position first, so the
 * result is fully determined. With k = n this is an argsort. Token reduction uses it for the
 * ToMe match order and PPT's kept tokens.
 */
export const TopK = defineOp({
  name: 'top_k',
  summary: 'k largest (or smallest) entries of the last axis and their indices',
  attrs: { k: attr.int(), largest: attr.bool(true) },
  inputs: ['x'],
  outputs: 2,
  infer: ([x], a) => {
    const { shape } = topKShape(x!, a.k);
    return [tensorType(x!.dtype, shape), tensorType('i64', shape)];
  },
  reference: ([x], a) => {
    const { n, shape } = topKShape(x!, a.k);
    const rows = x!.size / n;
    const r = topK(numbersOf(x!), rows, n, a.k, a.largest);
    return [tensorFrom(x!.dtype, shape as number[], r.values), tensorFrom('i64', shape as number[], r.indices)];
  },
  // Comparisons of the rank sort the kernels run: every entry against every other of its row.
  flops: ([x]) => {
    const n = x!.shape[x!.shape.length - 1];
    return typeof n === 'number' ? countPerBatch(x!.shape) * n : 0;
  },
});
