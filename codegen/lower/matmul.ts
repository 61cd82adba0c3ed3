import { BodyBuilder } from '../kernel-ir/body.js';
import { add, and, builtin, call, div, f32, lane, lt, min, mul, sharedLoad, splat, sub, u32 } from '../kernel-ir/build.js';
import { type KBuffer, type KExpr, type Kernel, type KShared, vecType } from '../kernel-ir/types.js';
import { viewAccess } from '../plan/view.js';
import type { MatmulSchedule } from '../schedule/types.js';
import type { MatmulWorkload } from '../workload/types.js';
import { batchIndex, ceilDiv, outputBuffer, product, storeOffset } from './common.js';
import { bindOperand, type BoundOperand, loadScalar, loadVec4 } from './operands.js';
import { lowerPointwise } from './pointwise.js';

const F4 = vecType('f32', 4);

/**
 * Register-tiled matmul with fused LayerNorm prologue and pointwise epilogue.
 * Each invocation accumulates tm × tn outputs (as tn/vec vectors) over the whole K loop; reads
 * past the M/N edges are clamped to the last row/column and their results never stored.
 */
export function lowerMatmul(w: MatmulWorkload, s: MatmulSchedule, name: string): Kernel {
  const vec = s.vec === 4 && w.n % 4 === 0 && s.tn % 4 === 0 ? 4 : 1;
  const tn = Math.max(vec, s.tn - (s.tn % vec));
  const tileM = s.wgY * s.tm;
  const tileN = s.wgX * tn;
  const ops = w.operands.map((op, i) => bindOperand(`in${i}`, op, vec === 4 && i === w.b));
  // Epilogue operands are read in the output index space; bind vector-readable ones as vec4.
  const epilogueOps = new Set<number>();
  collectInputs(w.epilogue, epilogueOps);
  const bound = ops.map((b, i) => (epilogueOps.has(i) && i !== w.a && i !== w.b && vec === 4 ? bindOperand(`in${i}`, w.operands[i]!, true) : b));
  const out = outputBuffer(w.output.view, vec === 4);
  const shared: KShared[] = [];
  const body = new BodyBuilder();
  const bidx = batchIndex(body, w.batch);
  const [lx, ly] = localIds(s);
  const rowBase = body.let('row_base', mul(builtin('workgroup_id', 1), u32(tileM)));
  const colBase = body.let('col_base', mul(builtin('workgroup_id', 0), u32(tileN)));
  // Local row/column offsets of this invocation's i-th row and j-th vector column.
  const localRow = (i: number): KExpr => (s.interleave ? add(ly, u32(i * s.wgY)) : add(mul(ly, u32(s.tm)), u32(i)));
  const localCol = (j: number): KExpr => (s.interleave ? add(mul(lx, u32(vec)), u32(j * s.wgX * vec)) : add(mul(lx, u32(tn)), u32(j * vec)));
  const nv = tn / vec;
  const rows = Array.from({ length: s.tm }, (_, i) => body.let(`r${i}`, add(rowBase, localRow(i))));
  const rowsClamped = rows.map((r, i) => body.let(`rc${i}`, min(r, u32(w.m - 1))));
  const cols = Array.from({ length: nv }, (_, j) => body.let(`c${j}`, add(colBase, localCol(j))));
  const colsClamped = cols.map((c, j) => body.let(`cc${j}`, min(c, u32(w.n - vec))));
  const A = bound[w.a]!;
  const B = bound[w.b]!;

  let ln: LayerNormOnLoad | undefined;
  if (w.prologue) ln = layerNormPrologue(body, w, s, shared, A, bound, bidx, rowBase, localRow);
  const normalize = ln?.normalize;

  const acc = Array.from({ length: s.tm }, (_, i) => Array.from({ length: nv }, (_, j) => body.var(`acc${i}_${j}`, vec === 4 ? F4 : 'f32', vec === 4 ? splat(F4, f32(0)) : f32(0))));
  const step = (b: BodyBuilder, k: KExpr) => {
    const bv = colsClamped.map((c, j) => b.let(`b${j}`, vec === 4 ? loadVec4(B, [...bidx, k, c], b) : loadScalar(B, [...bidx, k, c], b)));
    rowsClamped.forEach((r, i) => {
      let a = loadScalar(A, [...bidx, r, k], b);
      if (normalize) a = normalize(i, k, a);
      const av = b.let(`a${i}`, a);
      bv.forEach((bj, j) => b.assign(acc[i]![j]!, call('fma', vec === 4 ? splat(F4, av) : av, bj, acc[i]![j]!)));
    });
  };
  const unroll = Math.max(1, Math.min(s.kUnroll, w.k));
  const mainK = w.k - (w.k % unroll);
  if (mainK > 0)
    body.for('k', u32(0), u32(mainK), unroll, (k, b) => {
      b.for('ku', u32(0), u32(unroll), 1, (u, bu) => step(bu, add(k, u)), true);
    });
  if (mainK < w.k) body.for('kr', u32(mainK), u32(w.k), 1, (k, b) => step(b, k));

  rows.forEach((r, i) =>
    cols.forEach((c, j) => {
      body.if(and(lt(r, u32(w.m)), lt(c, u32(w.n))), (b) => {
        const idx = [...bidx, r, c];
        const accValue = ln?.scale ? mul(acc[i]![j]!, ln.scale(i)) : acc[i]![j]!;
        const value = lowerPointwise(w.epilogue, { acc: () => accValue, input: (x) => (vec === 4 ? loadVec4(bound[x]!, idx, b) : loadScalar(bound[x]!, idx, b)) }, vec as 1 | 4);
        const off = storeOffset(w.output.view, idx, b);
        if (out.vec === 4) b.store(out.name, div(off, u32(4)), value);
        else if (vec === 4) {
          const v = b.let(`o${i}_${j}`, value);
          [0, 1, 2, 3].forEach((l) => b.store(out.name, storeOffset(w.output.view, [...bidx, r, add(c, u32(l))], b), lane(v, l)));
        }
        else b.store(out.name, off, value);
      });
    }),
  );
  const buffers: KBuffer[] = [...bound.map((b) => b.buffer), out];
  return {
    name,
    buffers,
    shared,
    workgroupSize: [s.wgX, s.wgY, 1],
    grid: [ceilDiv(w.n, tileN), ceilDiv(w.m, tileM), product(w.batch)],
    body: body.stmts,
  };
}

/**
 * The invocation's x and y within the workgroup; a dimension of size 1 is the constant 0, so
 * indices built from it stay invocation-uniform where the shader compiler can see it (llvmpipe
 * then loads such an A element once and broadcasts it instead of gathering per lane).
 */
function localIds(s: MatmulSchedule): [KExpr, KExpr] {
  return [s.wgX === 1 ? u32(0) : builtin('local_id', 0), s.wgY === 1 ? u32(0) : builtin('local_id', 1)];
}

function collectInputs(e: MatmulWorkload['epilogue'], out: Set<number>): void {
  if (e.op === 'input') out.add(e.index);
  if ('a' in e) collectInputs(e.a, out);
  if ('b' in e) collectInputs(e.b, out);
  if ('cond' in e) collectInputs(e.cond, out);
}

/**
 * Row statistics of A for the workgroup's rows, computed cooperatively: wgX invocations share
 * each row's K range, combine partial sums through workgroup memory; two passes (mean, then the
 * centred variance) for accuracy. Returns the per-row normalisation applied on each A load.
 */
function layerNormPrologue(
  body: BodyBuilder,
  w: MatmulWorkload,
  s: MatmulSchedule,
  shared: KShared[],
  A: BoundOperand,
  bound: readonly BoundOperand[],
  bidx: readonly KExpr[],
  rowBase: KExpr,
  localRow: (i: number) => KExpr,
): LayerNormOnLoad {
  const p = w.prologue!;
  const tileM = s.wgY * s.tm;
  const part: KShared = { name: 'ln_part', elem: 'f32', vec: 1, length: tileM * s.wgX };
  const mean: KShared = { name: 'ln_mean', elem: 'f32', vec: 1, length: tileM };
  const rstd: KShared = { name: 'ln_rstd', elem: 'f32', vec: 1, length: tileM };
  shared.push(part, mean, rstd);
  const [lx, ly] = localIds(s);
  const rowOf = (t: number) => add(ly, u32(t * s.wgY)); // local rows handled by this invocation's y
  const reducePass = (label: string, term: (row: KExpr, k: KExpr, bb: BodyBuilder) => KExpr, finish: (sum: KExpr) => KExpr, target: KShared) => {
    for (let t = 0; t < s.tm; t++) {
      const lr = rowOf(t);
      const row = body.let(`${label}_row${t}`, min(add(rowBase, lr), u32(w.m - 1)));
      const acc = body.var(`${label}_s${t}`, 'f32', f32(0));
      body.for(`${label}_k`, lx, u32(w.k), s.wgX, (k, b) => b.assign(acc, add(acc, term(row, k, b))));
      body.sharedStore(part.name, add(mul(lr, u32(s.wgX)), lx), acc);
    }
    body.barrier();
    body.if(
      lt(lx, u32(1)),
      (b) => {
        for (let t = 0; t < s.tm; t++) {
          const lr = rowOf(t);
          const tot = b.var(`${label}_t${t}`, 'f32', f32(0));
          b.for(`${label}_j`, u32(0), u32(s.wgX), 1, (j, bj) => bj.assign(tot, add(tot, sharedLoad(part, add(mul(lr, u32(s.wgX)), j)))));
          b.sharedStore(target.name, lr, finish(tot));
        }
      },
    );
    body.barrier();
  };
  const x = (row: KExpr, k: KExpr, bb: BodyBuilder) => loadScalar(A, [...bidx, row, k], bb);
  reducePass('lnm', x, (sum) => div(sum, f32(w.k)), mean);
  reducePass(
    'lnv',
    (row, k, bb) => {
      const d = sub(x(row, k, bb), sharedLoad(mean, sub(row, rowBase)));
      return mul(d, d);
    },
    (sum) => call('inverse_sqrt', add(div(sum, f32(w.k)), f32(p.epsilon))),
    rstd,
  );
  const means = Array.from({ length: s.tm }, (_, i) => body.let(`mean${i}`, sharedLoad(mean, localRow(i))));
  const rstds = Array.from({ length: s.tm }, (_, i) => body.let(`rstd${i}`, sharedLoad(rstd, localRow(i))));
  if (p.gamma === null) return { normalize: (i, _k, a) => sub(a, means[i]!), scale: (i) => rstds[i]! };
  const gamma = bound[p.gamma]!;
  const beta = p.beta === null ? undefined : bound[p.beta]!;
  return {
    normalize: (i, k, a) => {
      const n = mul(mul(sub(a, means[i]!), rstds[i]!), loadScalar(gamma, [k]));
      return beta ? add(n, loadScalar(beta, [k])) : n;
    },
  };
}

/** How a fused LayerNorm enters the GEMM: a transformation of A on load, and maybe a row scale of the result. */
interface LayerNormOnLoad {
  readonly normalize: (i: number, k: KExpr, a: KExpr) => KExpr;
  readonly scale?: (i: number) => KExpr;
}

