import { type Dim, isStatic, normAxis, parseSym } from '../../ir/dim.js';
import { fail } from '../../ir/errors.js';
import { isOp, type Node } from '../../ir/graph.js';
import { Attention } from '../../ir/ops/attention.js';
import { Concat, Split } from '../../ir/ops/concat.js';
import { Gather } from '../../ir/ops/gather.js';
import { MatMul } from '../../ir/ops/matmul.js';
import { LayerNorm } from '../../ir/ops/norm.js';
import { ArgMax, ReduceMax, ReduceMean, ReduceSum } from '../../ir/ops/reduce.js';
import { Expand, Reshape } from '../../ir/ops/reshape.js';
import { Slice, sliceRanges } from '../../ir/ops/slice.js';
import { Softmax } from '../../ir/ops/softmax.js';
import { Transpose } from '../../ir/ops/transpose.js';
import type { Tensor } from '../../ir/tensor.js';

/**
 * Where one factor of a tensor's elements sits in its shape: the batch (B images) or the tokens
 * (T of them). The factor lives in axis `axis`, whose size is outer · size · inner: an index along
 * that axis is (o·size + t)·inner + i. Attention layouts merge the batch with the heads
 * ([B·H, T, d]) and reshapes merge tokens with the batch ([T·B, C]); following the factor through
 * such reshapes by its element stride is what lets token reduction rewrite every reshape target
 * of a block whatever layout the exporter chose.
 *
 * `inner` is kept in "probe" units: a symbolic batch N counts as PROBE, a large prime no static
 * ViT dimension is a multiple of, so stride arithmetic on symbolic shapes is plain arithmetic.
 */
export interface FactorLoc {
  readonly axis: number;
  readonly inner: number;
}

/** Stands for the symbolic batch in stride arithmetic. */
export const PROBE = 10007;

/** A dim as a number, the symbol counted as PROBE. */
export function probeDim(d: Dim): number {
  if (isStatic(d)) return d;
  return parseSym(d).k * PROBE;
}

export function probeShape(shape: readonly Dim[]): number[] {
  return shape.map(probeDim);
}

/** What a node does to a factor: its location in each result, or undefined where the result no longer carries it. */
export type FactorOutcome = readonly (FactorLoc | undefined)[];

/**
 * Locates a factor of `size` elements (probe units) whose element stride is `stride` in `shape`:
 * the axis whose stride range holds it. Fails when the factor is split across axes.
 */
export function locateByStride(shape: readonly number[], stride: number, size: number): FactorLoc | undefined {
  let after = 1;
  for (let a = shape.length - 1; a >= 0; a--) {
    const d = shape[a]!;
    if (stride >= after && stride < after * d) {
      if (stride % after !== 0) return undefined;
      const inner = stride / after;
      return d % (inner * size) === 0 ? { axis: a, inner } : undefined;
    }
    after *= d;
  }
  // A factor of size 1 above every axis (batch 1 in front): give it the outermost axis.
  if (size === 1 && shape.length > 0 && stride === after) return { axis: 0, inner: shape[0]! };
  return undefined;
}

/** The element stride of a factor at `loc` in `shape` (probe units). */
export function strideOf(shape: readonly number[], loc: FactorLoc): number {
  let s = loc.inner;
  for (let a = loc.axis + 1; a < shape.length; a++) s *= shape[a]!;
  return s;
}

/** Result axis of operand axis `axis` under right-aligned broadcasting to rank `outRank`. */
function aligned(loc: FactorLoc, inRank: number, outRank: number): FactorLoc {
  return { axis: loc.axis + outRank - inRank, inner: loc.inner };
}

/** The operand locations of a node must agree once aligned to the result. */
function agree(node: Node, locs: readonly (FactorLoc | undefined)[], outRank: number): FactorLoc | undefined {
  let found: FactorLoc | undefined;
  locs.forEach((l, i) => {
    if (!l) return;
    const a = aligned(l, node.inputs[i]!.type.shape.length, outRank);
    if (found && (found.axis !== a.axis || found.inner !== a.inner)) fail(`operands of '${node.op.name}' carry the ${factorWord} on different axes`);
    found = a;
  });
  return found;
}

/** For messages; the callers name the factor in their own errors. */
const factorWord = 'tracked factor';

/**
 * The factor's location in every result of `node`, from its location in the operands (undefined
 * where an operand does not carry it). Throws a VitcError when the node mixes the factor with
 * other axes in a way that cannot be followed (a contraction over it, a slice of it, a reshape
 * splitting it). `constantOf(i)` gives constant operands (gather indices).
 */
export function factorThrough(node: Node, locs: readonly (FactorLoc | undefined)[], size: number, constantOf: (i: number) => Tensor | undefined): FactorOutcome {
  const inShape = (i: number) => node.inputs[i]!.type.shape;
  const outShape = (i: number) => node.outputs[i]!.type.shape;
  const outRank = node.outputs[0]?.type.shape.length ?? 0;
  const x = locs[0];
  if (isOp(node, Reshape)) {
    if (!x) return [undefined];
    const at = locateByStride(probeShape(outShape(0)), strideOf(probeShape(inShape(0)), x), size);
    if (!at) fail(`reshape to [${outShape(0).join(',')}] splits the ${factorWord} across axes`);
    return [at];
  }
  if (isOp(node, Transpose)) return [x && { axis: node.attrs.perm.indexOf(x.axis), inner: x.inner }];
  if (isOp(node, Expand)) return [x && aligned(x, inShape(0).length, outRank)];
  if (isOp(node, Slice)) {
    if (!x) return [undefined];
    const r = sliceRanges(inShape(0), node.attrs)[x.axis]!;
    if (r.start === 0 && r.step === 1 && r.count === inShape(0)[x.axis]) return [x];
    if (pickedFirstOnly(x, inShape(0)[x.axis]!, size, r.start, r.count)) return [undefined];
    fail(`slice of the ${factorWord} axis (start ${r.start}, ${String(r.count)} entries)`);
  }
  if (isOp(node, Split)) {
    if (!x) return node.outputs.map(() => undefined);
    if (normAxis(node.attrs.axis, inShape(0).length) === x.axis) fail(`split along the ${factorWord} axis`);
    return node.outputs.map(() => x);
  }
  if (isOp(node, Concat)) {
    const at = agree(node, locs, outRank);
    if (at && normAxis(node.attrs.axis, outRank) === at.axis) fail(`concat along the ${factorWord} axis`);
    return [at];
  }
  if (isOp(node, Gather)) {
    if (!x) return [undefined];
    const ax = normAxis(node.attrs.axis, inShape(0).length);
    const idxRank = inShape(1).length;
    if (ax < x.axis) return [{ axis: x.axis + idxRank - 1, inner: x.inner }];
    if (ax > x.axis) return [x];
    const idx = constantOf(1);
    if (idx && idx.toNumbers().every((v) => v === 0) && pickedFirstOnly(x, inShape(0)[ax]!, size, 0, 1)) return [undefined];
    fail(`gather along the ${factorWord} axis`);
  }
  if (isOp(node, MatMul)) return [matmulFactor(node, locs)];
  if (isOp(node, Attention)) return attentionFactor(node, locs);
  if (isOp(node, ReduceMean) || isOp(node, ReduceSum) || isOp(node, ReduceMax) || isOp(node, ArgMax)) {
    if (!x) return [undefined];
    const rank = inShape(0).length;
    const axes = isOp(node, ArgMax) ? [normAxis(node.attrs.axis, rank)] : node.attrs.axes.length === 0 ? [...Array(rank).keys()] : node.attrs.axes.map((a) => normAxis(a, rank));
    if (axes.includes(x.axis)) return [undefined];
    return [node.attrs.keepdims ? x : { axis: x.axis - axes.filter((a) => a < x.axis).length, inner: x.inner }];
  }
  if (isOp(node, LayerNorm)) {
    if (x && x.axis >= normAxis(node.attrs.axis, inShape(0).length)) fail(`layer_norm normalises over the ${factorWord} axis`);
    return [agree(node, locs, outRank)];
  }
  if (isOp(node, Softmax) || node.op.traits?.elementwise) return [agree(node, locs, outRank)];
  fail(`'${node.op.name}' is not an op the ${factorWord} can be followed through`);
}

/** Does a slice [start, start+count) of the factor's axis keep only the factor's index 0 (the class token)? */
function pickedFirstOnly(x: FactorLoc, d: Dim, size: number, start: number, count: Dim): boolean {
  return probeDim(d) === size * x.inner && x.inner === 1 && start === 0 && count === 1;
}

function matmulFactor(node: Node, locs: readonly (FactorLoc | undefined)[]): FactorLoc | undefined {
  const [ra, rb] = [node.inputs[0]!.type.shape.length, node.inputs[1]!.type.shape.length];
  const out = node.outputs[0]!.type.shape.length;
  const [a, b] = locs;
  if (!a && !b) return undefined;
  if (ra < 2 || rb < 2) fail(`matmul with a 1-D operand over the ${factorWord}`);
  if ((a && a.axis === ra - 1) || (b && b.axis === rb - 2)) fail(`matmul contracts over the ${factorWord}`);
  const fromA = a && aligned(a, ra, out);
  const fromB = b && (b.axis === rb - 1 ? { axis: out - 1, inner: b.inner } : aligned(b, rb, out));
  if (fromA && fromB && (fromA.axis !== fromB.axis || fromA.inner !== fromB.inner)) fail(`matmul operands carry the ${factorWord} on different axes`);
  return fromA ?? fromB;
}

function attentionFactor(node: Node, locs: readonly (FactorLoc | undefined)[]): FactorOutcome {
  const rank = node.inputs[0]!.type.shape.length;
  const lead = (l: FactorLoc | undefined) => l !== undefined && l.axis < rank - 2;
  const [q, k, v] = locs;
  for (const [l, what] of [[k, 'keys'], [v, 'values']] as const) if (l && !lead(l) && l.axis !== rank - 2) fail(`attention ${what} carry the ${factorWord} on their feature axis`);
  if (q && !lead(q) && q.axis !== rank - 2) fail(`attention queries carry the ${factorWord} on their feature axis`);
  if (locs[3]) fail(`attention bias carries the ${factorWord}`);
  const leads = [q, k, v].filter(lead);
  const first = leads[0];
  if (first && leads.some((l) => l!.axis !== first.axis || l!.inner !== first.inner)) fail(`attention operands carry the ${factorWord} on different axes`);
  const out = first ?? (q && q.axis === rank - 2 ? q : undefined);
  // Extra results [..., Tk]: the key axis moves to the last place.
  const keyed = first ?? (k && k.axis === rank - 2 ? { axis: rank - 2, inner: k.inner } : undefined);
  return node.outputs.map((_, i) => (i === 0 ? out : keyed));
}
