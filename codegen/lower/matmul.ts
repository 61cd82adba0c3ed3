import { BodyBuilder } from '../kernel-ir/body.js';
import { add, and, builtin, call, div, eq, f32, lane, lt, min, mod, mul, sharedLoad, splat, sub, u32 } from '../kernel-ir/build.js';
import { type KBuffer, type KExpr, type Kernel, type KShared, vecType } from '../kernel-ir/types.js';
import { viewAccess } from '../plan/view.js';
import type { MatmulSchedule } from '../schedule/types.js';
import type { MatmulWorkload } from '../workload/types.js';
import { batchIndex, ceilDiv, outputBuffer, product, storeOffset } from './common.js';
import { bindOperand, type BoundOperand, loadScalar, loadVec4, vec4Readable } from './operands.js';
import { lowerPointwise } from './pointwise.js';

const F4 = vecType('f32', 4);

/**
 * Register-tiled matmul with fused LayerNorm prologue and pointwise epilogue.
 * Each invocation accumulates tm × tn outputs (as tn/vec vectors) over its K range; reads past the
 * M/N edges are clamped to the last row/column and their results never stored. With kSplit > 1
 * the workgroup has kSplit layers along z, each summing a contiguous slice of K; layers 1.. hand
 * their partial sums to layer 0 through workgroup memory, which adds them and runs the epilogue.
 * That is split-K without a second kernel: more invocations for GEMMs with long K and few output
 * tiles (the MLP's second GEMM of a ViT), which a GPU needs to fill its cores.
 */
export function lowerMatmul(w: MatmulWorkload, s: MatmulSchedule, name: string): Kernel {
  const vec = s.vec === 4 && w.n % 4 === 0 && s.tn % 4 === 0 ? 4 : 1;
  const tn = Math.max(vec, s.tn - (s.tn % vec));
  const tileM = s.wgY * s.tm;
  const tileN = s.wgX * tn;
  const kStep = aVecOf(w, s);
  const ops = w.operands.map((op, i) => bindOperand(`in${i}`, op, (vec === 4 && i === w.b) || (kStep === 4 && i === w.a)));
  // Epilogue operands are read in the output index space; bind vector-readable ones as vec4.
  const epilogueOps = new Set<number>();
  collectInputs(w.epilogue, epilogueOps);
  const bound = ops.map((b, i) => (epilogueOps.has(i) && i !== w.a && i !== w.b && vec === 4 ? bindOperand(`in${i}`, w.operands[i]!, true) : b));
  const out = outputBuffer(w.output.view, vec === 4);
  const shared: KShared[] = [];
  const body = new BodyBuilder();
  const bidx = batchIndex(body, w.batch);
  const [lx, ly, lz] = localIds(s);
  const kSplit = splitOf(s);
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
  if (w.prologue) ln = layerNormPrologue(body, w, s, shared, A, bound, bidx, rowBase, localRow, kStep === 4);
  const normalize = ln?.normalize;

  const acc = Array.from({ length: s.tm }, (_, i) => Array.from({ length: nv }, (_, j) => body.var(`acc${i}_${j}`, vec === 4 ? F4 : 'f32', vec === 4 ? splat(F4, f32(0)) : f32(0))));
  const fmaRow = (b: BodyBuilder, i: number, a: KExpr, bv: readonly KExpr[]) => {
    const av = b.let(`a${i}`, a);
    bv.forEach((bj, j) => b.assign(acc[i]![j]!, call('fma', vec === 4 ? splat(F4, av) : av, bj, acc[i]![j]!)));
  };
  const loadB = (b: BodyBuilder, k: KExpr) => colsClamped.map((c, j) => b.let(`b${j}`, vec === 4 ? loadVec4(B, [...bidx, k, c], b) : loadScalar(B, [...bidx, k, c], b)));
  // One step covers kStep values of k: with aVec 4, each row of A is read as one vec4 along K and
  // its lanes feed four consecutive k (a quarter of the A loads; on llvmpipe every load is a
  // per-lane loop, so loads per multiply-add set the speed).
  const step = (b: BodyBuilder, k: KExpr) => {
    if (kStep === 1) {
      const bv = loadB(b, k);
      rowsClamped.forEach((r, i) => fmaRow(b, i, normalize ? normalize(i, k, loadScalar(A, [...bidx, r, k], b)) : loadScalar(A, [...bidx, r, k], b), bv));
      return;
    }
    const a4 = rowsClamped.map((r, i) => b.let(`a4_${i}`, loadVec4(A, [...bidx, r, k], b)));
    for (let u = 0; u < 4; u++) {
      const ku = u === 0 ? k : b.let('ku', add(k, u32(u)));
      const bv = loadB(b, ku);
      rowsClamped.forEach((_, i) => fmaRow(b, i, normalize ? normalize(i, ku, lane(a4[i]!, u)) : lane(a4[i]!, u), bv));
    }
  };
  const unroll = Math.max(1, Math.min(s.kUnroll, w.k / kStep));
  const span = unroll * kStep;
  if (kSplit === 1) {
    const mainK = w.k - (w.k % span);
    if (mainK > 0)
      body.rolledFor('k', u32(0), u32(mainK), span, (k, b) => {
        b.for('ku', u32(0), u32(span), kStep, (u, bu) => step(bu, add(k, u)), true);
      });
    if (mainK < w.k) body.rolledFor('kr', u32(mainK), u32(w.k), kStep, (k, b) => step(b, k));
  } else {
    // Layer z sums K slice [z·chunk, min((z+1)·chunk, K)); chunk is a multiple of the unrolled
    // span, so only the last slice can end in a remainder (K is a multiple of kStep).
    const chunk = Math.ceil(w.k / kSplit / span) * span;
    const kStart = body.let('k_start', min(mul(lz, u32(chunk)), u32(w.k)));
    const kEnd = body.let('k_end', min(add(kStart, u32(chunk)), u32(w.k)));
    const mainEnd = body.let('k_main_end', sub(kEnd, mod(sub(kEnd, kStart), u32(span))));
    body.rolledFor('k', kStart, mainEnd, span, (k, b) => {
      b.for('ku', u32(0), u32(span), kStep, (u, bu) => step(bu, add(k, u)), true);
    });
    if (unroll > 1) body.rolledFor('kr', mainEnd, kEnd, kStep, (k, b) => step(b, k));
    combineSplits(body, s, shared, acc, lx, ly, lz, vec);
  }

  rows.forEach((r, i) =>
    cols.forEach((c, j) => {
      const inRange = and(lt(r, u32(w.m)), lt(c, u32(w.n)));
      body.if(kSplit === 1 ? inRange : and(eq(lz, u32(0)), inRange), (b) => {
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
    workgroupSize: [s.wgX, s.wgY, kSplit],
    grid: [ceilDiv(w.n, tileN), ceilDiv(w.m, tileM), product(w.batch)],
    body: body.stmts,
  };
}

/**
 * K values per A load: 4 when the schedule asks for vec4 A reads (aVec 4) and A can be read so
 * (K a multiple of 4, A's last axis contiguous and aligned), else 1.
 */
export function aVecOf(w: MatmulWorkload, s: MatmulSchedule): 1 | 4 {
  return s.aVec === 4 && w.k % 4 === 0 && vec4Readable(w.operands[w.a]!.view) ? 4 : 1;
}

/** The schedule's K split (1 when absent: records written before the knob existed). */
export function splitOf(s: MatmulSchedule): number {
  return Math.max(1, s.kSplit ?? 1);
}

/**
 * The invocation's x, y and z (K layer) within the workgroup; a dimension of size 1 is the
 * constant 0, so indices built from it stay invocation-uniform where the shader compiler can see
 * it (llvmpipe then loads such an A element once and broadcasts it instead of gathering per lane).
 */
function localIds(s: MatmulSchedule): [KExpr, KExpr, KExpr] {
  return [s.wgX === 1 ? u32(0) : builtin('local_id', 0), s.wgY === 1 ? u32(0) : builtin('local_id', 1), splitOf(s) === 1 ? u32(0) : builtin('local_id', 2)];
}

/**
 * Adds the partial accumulators of K layers 1.. into layer 0's: each layer z > 0 writes its tile
 * to slot z-1 of workgroup memory, then layer 0 reads and adds every slot. Barriers sit in
 * uniform control flow (every invocation reaches them).
 */
function combineSplits(body: BodyBuilder, s: MatmulSchedule, shared: KShared[], acc: KExpr[][], lx: KExpr, ly: KExpr, lz: KExpr, vec: number): void {
  const perInvocation = acc.length * acc[0]!.length;
  const invocations = s.wgX * s.wgY;
  const parts: KShared = { name: 'k_part', elem: 'f32', vec: vec as 1 | 4, length: (splitOf(s) - 1) * invocations * perInvocation };
  shared.push(parts);
  const slot = body.let('k_slot', mul(add(mul(ly, u32(s.wgX)), lx), u32(perInvocation)));
  const at = (layer: KExpr, i: number, j: number) => add(add(mul(layer, u32(invocations * perInvocation)), slot), u32(i * acc[0]!.length + j));
  body.barrier();
  body.if(lt(u32(0), lz), (b) => {
    const layer = b.let('k_layer', sub(lz, u32(1)));
    acc.forEach((row, i) => row.forEach((a, j) => b.sharedStore(parts.name, at(layer, i, j), a)));
  });
  body.barrier();
  body.if(eq(lz, u32(0)), (b) => {
    b.for('kz', u32(0), u32(splitOf(s) - 1), 1, (z, bz) => {
      acc.forEach((row, i) => row.forEach((a, j) => bz.assign(a, add(a, sharedLoad(parts, at(z, i, j))))));
    });
  });
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
  aVec4: boolean,
): LayerNormOnLoad {
  const p = w.prologue!;
  const tileM = s.wgY * s.tm;
  // The statistics' K range is shared by the wgX·kSplit invocations of a row (x and the K layers).
  const [lx, ly, lz] = localIds(s);
  const nx = s.wgX * splitOf(s);
  const lxz = splitOf(s) === 1 ? lx : body.let('ln_lane', add(lx, mul(lz, u32(s.wgX))));
  const part: KShared = { name: 'ln_part', elem: 'f32', vec: 1, length: tileM * nx };
  const mean: KShared = { name: 'ln_mean', elem: 'f32', vec: 1, length: tileM };
  const rstd: KShared = { name: 'ln_rstd', elem: 'f32', vec: 1, length: tileM };
  shared.push(part, mean, rstd);
  const rowOf = (t: number) => add(ly, u32(t * s.wgY)); // local rows handled by this invocation's y
  // With A bound as vec4, the statistics read it four values at a time too (K is a multiple of 4).
  const width = aVec4 ? 4 : 1;
  const reducePass = (label: string, term: (row: KExpr, k: KExpr, bb: BodyBuilder) => KExpr, finish: (sum: KExpr) => KExpr, target: KShared) => {
    for (let t = 0; t < s.tm; t++) {
      const lr = rowOf(t);
      const row = body.let(`${label}_row${t}`, min(add(rowBase, lr), u32(w.m - 1)));
      const acc = body.var(`${label}_s${t}`, 'f32', f32(0));
      const from = width === 1 ? lxz : mul(lxz, u32(width));
      body.for(`${label}_k`, from, u32(w.k), nx * width, (k, b) => b.assign(acc, add(acc, term(row, k, b))));
      body.sharedStore(part.name, add(mul(lr, u32(nx)), lxz), acc);
    }
    body.barrier();
    body.if(
      lt(lxz, u32(1)),
      (b) => {
        for (let t = 0; t < s.tm; t++) {
          const lr = rowOf(t);
          const tot = b.var(`${label}_t${t}`, 'f32', f32(0));
          b.for(`${label}_j`, u32(0), u32(nx), 1, (j, bj) => bj.assign(tot, add(tot, sharedLoad(part, add(mul(lr, u32(nx)), j)))));
          b.sharedStore(target.name, lr, finish(tot));
        }
      },
    );
    body.barrier();
  };
  const ONES = splat(F4, f32(1));
  const x = (row: KExpr, k: KExpr, bb: BodyBuilder) => (aVec4 ? loadVec4(A, [...bidx, row, k], bb) : loadScalar(A, [...bidx, row, k], bb));
  reducePass('lnm', (row, k, bb) => (aVec4 ? call('dot', x(row, k, bb), ONES) : x(row, k, bb)), (sum) => div(sum, f32(w.k)), mean);
  reducePass(
    'lnv',
    (row, k, bb) => {
      const m = sharedLoad(mean, sub(row, rowBase));
      const d = bb.let('d', sub(x(row, k, bb), aVec4 ? splat(F4, m) : m));
      return aVec4 ? call('dot', d, d) : mul(d, d);
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

