import { type Dim, isStatic, shapeToString } from '../../ir/dim.js';
import { fail, VitcError } from '../../ir/errors.js';
import { type Graph, isOp, type Node, nodeWhere, type Value, valueRef } from '../../ir/graph.js';
import { Attention } from '../../ir/ops/attention.js';
import { Concat } from '../../ir/ops/concat.js';
import { Const } from '../../ir/ops/const.js';
import { Add, Cast, Div, Mul } from '../../ir/ops/elementwise.js';
import { Gather } from '../../ir/ops/gather.js';
import { GatherElements, ScatterAdd } from '../../ir/ops/gather-elements.js';
import { Dropout, Identity } from '../../ir/ops/identity.js';
import { MatMul } from '../../ir/ops/matmul.js';
import { LayerNorm } from '../../ir/ops/norm.js';
import { Expand, Reshape } from '../../ir/ops/reshape.js';
import { Slice } from '../../ir/ops/slice.js';
import { TopK } from '../../ir/ops/top-k.js';
import { Transpose } from '../../ir/ops/transpose.js';
import type { Tensor } from '../../ir/tensor.js';
import { factorThrough, type FactorLoc, probeDim } from './factor.js';

/**
 * One pre-norm transformer block as token reduction sees it:
 *   x_mid = x_in + proj(attention(qkv(layer_norm(x_in))))      (the attention residual)
 *   x_out = x_mid + mlp(layer_norm(x_mid))
 * Token reduction happens at x_mid, between the attention and the MLP. The residual stream is
 * batch-first, [B, T, C].
 */
export interface VitBlock {
  readonly index: number;
  readonly attention: Node;
  readonly xIn: Value;
  readonly xMid: Value;
  /** T: the tokens entering the block in this graph. */
  readonly tokens: number;
  /** How the batch sits in the attention operands' leading axes. */
  readonly layout: AttentionLayout;
}

/**
 * The leading axes of an attention's q/k/v ([B, H], [B·H], [H·B], ...) and where the batch is
 * among them; `batch` is undefined when the batch is statically 1 (it can sit anywhere).
 */
export interface AttentionLayout {
  readonly lead: readonly Dim[];
  readonly batchSize: Dim;
  readonly batch: FactorLoc | undefined;
}

export interface VitStructure {
  readonly blocks: readonly VitBlock[];
  /** The batch dimension of the residual stream (static or the symbolic batch). */
  readonly batch: Dim;
}

const WALK_LIMIT = 24;

/**
 * Finds the transformer blocks of a ViT whose attention is fused (`attention` ops), in order.
 * Throws a VitcError naming the block and the node when the structure is not the expected one.
 */
export function findBlocks(g: Graph): VitStructure {
  const reduced = g.nodes.find((n) => isOp(n, TopK) || isOp(n, GatherElements) || isOp(n, ScatterAdd));
  if (reduced)
    fail(`the graph already reduces tokens ('${reduced.op.name}' found): apply one token-reduction pass per pipeline (tome and ppt each take per-block schedules)`);
  return locateBlocks(g);
}

/** The blocks of a ViT with fused attention, token-reduced or not (for analyses such as FLOP counts). */
export function locateBlocks(g: Graph): VitStructure {
  const attentions = g.nodes.filter((n) => isOp(n, Attention));
  if (attentions.length === 0) fail(`token reduction found no attention op: run 'fuse-attention' first (the model must be a ViT)`);
  const constants = constantTable(g);
  const blocks = attentions.map((attn, index) => blockAt(g, attn, index, constants));
  return { blocks, batch: blocks[0]!.xIn.type.shape[0]! };
}

function blockAt(g: Graph, attn: Node, index: number, constants: ReadonlyMap<Value, Tensor>): VitBlock {
  const where = (msg: string): never => {
    throw new VitcError(`token reduction, block ${index}: ${msg}`, nodeWhere(attn));
  };
  const ln = walkBackTo(g, attn.inputs[0]!, (n) => isOp(n, LayerNorm));
  if (!ln) where(`the attention's queries do not come from a layer_norm of the residual stream (token reduction needs pre-norm blocks)`);
  const xIn = ln!.inputs[0]!;
  const xMid = residualAdd(g, attn, xIn);
  if (!xMid) where(`no residual add of the attention branch onto ${valueRef(xIn)} follows the attention`);
  const shape = xIn.type.shape;
  const [, t] = shape;
  if (shape.length !== 3 || t === undefined || !isStatic(t) || xMid!.type.shape.join() !== shape.join())
    where(`the residual stream must be [batch, tokens, channels] with a static token count, got ${shapeToString(shape)}`);
  const tokens = t as number;
  const rank = attn.inputs[0]!.type.shape.length;
  const tokenLocs = track(g, xIn, { axis: 1, inner: 1 }, tokens, constants);
  for (const [i, what] of [[0, 'queries'], [1, 'keys'], [2, 'values']] as const) {
    const l = tokenLocs.get(attn.inputs[i]!);
    if (!l || l.axis !== rank - 2 || l.inner !== 1) where(`the tokens of the residual stream do not reach the attention ${what} as their row axis`);
  }
  const batchSize = shape[0]!;
  const lead = attn.inputs[1]!.type.shape.slice(0, -2);
  let batch: FactorLoc | undefined;
  if (batchSize !== 1) {
    const batchLocs = track(g, xIn, { axis: 0, inner: 1 }, probeDim(batchSize), constants);
    const at = [0, 1, 2].map((i) => batchLocs.get(attn.inputs[i]!));
    if (!at[0] || at.some((l) => !l || l.axis !== at[0]!.axis || l.inner !== at[0]!.inner || l.axis >= rank - 2))
      where(`cannot find the batch in the leading axes ${shapeToString(lead)} of the attention operands`);
    batch = at[0];
  }
  return { index, attention: attn, xIn, xMid: xMid!, tokens, layout: { lead, batchSize, batch } };
}

/** Follows the activation operand of view, bias and projection nodes backwards to a node matching `stop`. */
function walkBackTo(g: Graph, v: Value, stop: (n: Node) => boolean): Node | undefined {
  let cur = v;
  for (let i = 0; i < WALK_LIMIT; i++) {
    const n = g.producer(cur);
    if (!n) return undefined;
    if (stop(n)) return n;
    if (isOp(n, Transpose) || isOp(n, Reshape) || isOp(n, Slice) || isOp(n, Gather) || isOp(n, MatMul) || isOp(n, Identity) || isOp(n, Dropout) || isOp(n, Cast)) cur = n.inputs[0]!;
    else if (isOp(n, Add) || isOp(n, Mul) || isOp(n, Div)) {
      const [a, b] = n.inputs as [Value, Value];
      cur = isConstantDerived(g, b) ? a : b;
    } else return undefined;
  }
  return undefined;
}

/**
 * The attention residual: follows the attention output forward through single-use view,
 * projection, scaling and bias nodes to an add of `xIn`.
 */
function residualAdd(g: Graph, attn: Node, xIn: Value): Value | undefined {
  let cur = attn.outputs[0]!;
  for (let i = 0; i < WALK_LIMIT; i++) {
    const users = g.users(cur);
    if (users.length !== 1) return undefined;
    const n = users[0]!;
    if (isOp(n, Add) && n.inputs.includes(xIn) && n.inputs.includes(cur)) return n.outputs[0];
    const passes =
      isOp(n, Transpose) || isOp(n, Reshape) || isOp(n, Identity) || isOp(n, Dropout) || (isOp(n, MatMul) && n.inputs[0] === cur) || ((isOp(n, Add) || isOp(n, Mul) || isOp(n, Div)) && n.inputs.some((x) => x !== cur && isConstantDerived(g, x)));
    if (!passes) return undefined;
    cur = n.outputs[0]!;
  }
  return undefined;
}

/** Forward propagation of one factor from `start` through every node it can be followed through. */
export function track(g: Graph, start: Value, loc: FactorLoc, size: number, constants: ReadonlyMap<Value, Tensor>): Map<Value, FactorLoc> {
  const locs = new Map<Value, FactorLoc>([[start, loc]]);
  for (const n of g.nodes) {
    if (!n.inputs.some((v) => locs.has(v))) continue;
    try {
      const outs = factorThrough(n, n.inputs.map((v) => locs.get(v)), size, (i) => constants.get(n.inputs[i]!));
      outs.forEach((l, i) => l && locs.set(n.outputs[i]!, l));
    } catch (e) {
      if (!(e instanceof VitcError)) throw e;
    }
  }
  return locs;
}

export function constantTable(g: Graph): Map<Value, Tensor> {
  const m = new Map<Value, Tensor>();
  for (const n of g.nodes) if (isOp(n, Const)) m.set(n.outputs[0]!, n.attrs.value);
  return m;
}

/** True when `v` is computed from constants only (no graph input upstream). */
export function isConstantDerived(g: Graph, v: Value): boolean {
  const seen = new Set<Value>();
  const stack = [v];
  while (stack.length) {
    const x = stack.pop()!;
    if (seen.has(x)) continue;
    seen.add(x);
    const n = g.producer(x);
    if (!n) return false;
    stack.push(...n.inputs);
  }
  return true;
}

/**
 * Token reduction keeps token 0 and the head reads it: the tokens entering the first block must
 * be concat(class_token, patches, ...) along the token axis, possibly plus position embeddings.
 */
export function requireClassToken(g: Graph, first: VitBlock): void {
  let cur = first.xIn;
  for (let i = 0; i < WALK_LIMIT; i++) {
    const n = g.producer(cur);
    const what = n ? `'${n.op.name}'${n.name ? ` (node '${n.name}')` : ''}` : 'a graph input';
    const noCls = (): never =>
      fail(`token reduction needs a class token in front of the patches, but the tokens entering block 0 come from ${what}, not from concat(class_token, patches) along the token axis`);
    if (!n) noCls();
    if (isOp(n!, Concat)) {
      const axis = (n!.attrs.axis + 3) % 3;
      const first = n!.inputs[0]!;
      if (axis === 1 && first.type.shape[1] === 1 && isConstantDerived(g, first)) return;
      noCls();
    }
    if (isOp(n!, Add)) {
      const [a, b] = n!.inputs as [Value, Value];
      cur = isConstantDerived(g, b) ? a : b;
    } else if (isOp(n!, Dropout) || isOp(n!, Identity) || isOp(n!, Expand)) cur = n!.inputs[0]!;
    else noCls();
  }
  fail(`token reduction needs a class token: no concat(class_token, patches) found before block 0`);
}
