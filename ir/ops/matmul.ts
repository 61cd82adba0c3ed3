import { broadcastShapes, type Dim, dimToString } from '../dim.js';
import { isFloat } from '../dtype.js';
import { fail } from '../errors.js';
import { defineOp } from '../op.js';
import { countPerBatch } from './operand-checks.js';
import { stridesOf } from '../tensor.js';
import { tensorType } from '../types.js';
import { broadcastStrides } from '../../runtime/reference/kernels/broadcast.js';
import { matmulSlice } from '../../runtime/reference/kernels/matmul.js';
import { numbersOf, tensorFrom } from '../../runtime/reference/kernels/storage.js';

/** Shapes of a batched matmul after NumPy's 1-D promotion; which promoted axes to drop at the end. */
function matmulShapes(a: readonly Dim[], b: readonly Dim[]) {
  if (a.length === 0 || b.length === 0) fail(`'matmul' operands must have rank ≥ 1`);
  const a2 = a.length === 1 ? [1, a[0]!] : a;
  const b2 = b.length === 1 ? [b[0]!, 1] : b;
  const m = a2[a2.length - 2]!;
  const k = a2[a2.length - 1]!;
  const k2 = b2[b2.length - 2]!;
  const n = b2[b2.length - 1]!;
  if (k !== k2) fail(`'matmul' contraction sizes differ: [${a.join(',')}] · [${b.join(',')}] (${dimToString(k)} vs ${dimToString(k2)})`);
  const batch = broadcastShapes(a2.slice(0, -2), b2.slice(0, -2));
  const out: Dim[] = [...batch];
  if (a.length !== 1) out.push(m);
  if (b.length !== 1) out.push(n);
  return { a2, b2, batch, m, k, n, out };
}

/** NumPy matmul: batched over leading axes with broadcasting, 1-D operands promoted. */
export const MatMul = defineOp({
  name: 'matmul',
  summary: 'batched matrix product with broadcasting',
  attrs: {},
  inputs: ['a', 'b'],
  outputs: 1,
  infer: ([a, b]) => {
    if (!isFloat(a!.dtype)) fail(`'matmul' needs float operands, got ${a!.dtype}`);
    if (a!.dtype !== b!.dtype) fail(`'matmul' operands have different element types ${a!.dtype} and ${b!.dtype}`);
    return [tensorType(a!.dtype, matmulShapes(a!.shape, b!.shape).out)];
  },
  reference: ([a, b]) => {
    const s = matmulShapes(a!.shape, b!.shape);
    const [m, k, n] = [s.m as number, s.k as number, s.n as number];
    const batch = s.batch as number[];
    const nb = batch.reduce((x, y) => x * y, 1);
    const sa = broadcastStrides((s.a2 as number[]).slice(0, -2), batch);
    const sb = broadcastStrides((s.b2 as number[]).slice(0, -2), batch);
    const bStr = stridesOf(batch);
    const out = new Float32Array(nb * m * n);
    const av = numbersOf(a!);
    const bv = numbersOf(b!);
    // Scratch for B transposed, shared by every batch slice.
    const bt = new Float64Array(k * n);
    for (let bi = 0; bi < nb; bi++) {
      let offA = 0;
      let offB = 0;
      for (let ax = 0; ax < batch.length; ax++) {
        const idx = Math.floor(bi / bStr[ax]!) % batch[ax]!;
        offA += idx * sa[ax]!;
        offB += idx * sb[ax]!;
      }
      matmulSlice(av, offA * m * k, bv, offB * k * n, out, bi * m * n, m, k, n, bt);
    }
    return [tensorFrom(a!.dtype, s.out as number[], out)];
  },
  flops: ([a, b]) => {
    const s = matmulShapes(a!.shape, b!.shape);
    // A symbolic dim counts its coefficient ('2*N' is 2 per unit batch), as merged [T·B, C] rows do.
    return 2 * countPerBatch([...s.batch, s.m, s.k, s.n]);
  },
});
