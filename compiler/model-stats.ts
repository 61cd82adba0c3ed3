import { isStatic } from '../ir/dim.js';
import { VitcError } from '../ir/errors.js';
import { type Graph, isOp, type Node, type Value } from '../ir/graph.js';
import { LayerNorm } from '../ir/ops/norm.js';
import { Add } from '../ir/ops/elementwise.js';
import { locateBlocks, type VitBlock } from '../passes/token-reduction/blocks.js';

/** One transformer block: tokens entering and leaving it (after any reduction) and its FLOPs. */
export interface BlockStats {
  readonly index: number;
  readonly tokensIn: number;
  readonly tokensOut: number;
  readonly flops: number;
}

/**
 * FLOPs per image as the op definitions count them (2 per multiply-add; matmul, conv,
 * attention, norms, softmax, reductions, top_k, scatter; element-wise ops count nothing), split
 * into the stem (everything before block 0), the blocks and the head (after the last block).
 * `blocks` is empty, and `note` says why, when the graph's ViT blocks cannot be found; the total
 * is still given.
 */
export interface ModelStats {
  readonly stem: number;
  readonly blocks: readonly BlockStats[];
  readonly head: number;
  readonly total: number;
  readonly note?: string;
}

export function nodeFlops(n: Node): number {
  return n.op.flops?.(n.inputs.map((v) => v.type), n.outputs.map((v) => v.type), n.attrs) ?? 0;
}

export function modelStats(g: Graph): ModelStats {
  let blocks: readonly VitBlock[];
  let batch = g.inputs[0]?.type.shape[0];
  try {
    const structure = locateBlocks(g);
    blocks = structure.blocks;
    batch = structure.batch;
  } catch (e) {
    if (!(e instanceof VitcError)) throw e;
    return { stem: 0, blocks: [], head: 0, total: totalFlops(g.nodes) / perImage(batch), note: `no per-block figures: ${e.message}` };
  }
  // Symbolic batches count as 1 in op FLOPs; a static batch is divided out.
  const scale = perImage(batch);
  const flops = (nodes: Iterable<Node>) => totalFlops(nodes) / scale;
  const after = blocks.map((bl) => blockOutput(g, bl));
  const starts = blocks.map((bl) => downstream(g, bl.xIn));
  const last = after[after.length - 1]!;
  const head = last.out ? downstream(g, last.out) : new Set<Node>();
  const stem = g.nodes.filter((n) => !starts[0]!.has(n));
  const stats = blocks.map((bl, i) => {
    const next = starts[i + 1] ?? head;
    return { index: bl.index, tokensIn: bl.tokens, tokensOut: after[i]!.tokens, flops: flops([...starts[i]!].filter((n) => !next.has(n))) };
  });
  const note = last.out ? undefined : 'the last block\'s output was not found: the head is counted in the last block';
  return { stem: flops(stem), blocks: stats, head: flops(head), total: flops(g.nodes), ...(note ? { note } : {}) };
}

function perImage(batch: Value['type']['shape'][number] | undefined): number {
  return batch !== undefined && isStatic(batch) && batch > 0 ? batch : 1;
}

function totalFlops(nodes: Iterable<Node>): number {
  let s = 0;
  for (const n of nodes) s += nodeFlops(n);
  return s;
}

/** Nodes that read `v`, directly or through other nodes. */
function downstream(g: Graph, v: Value): Set<Node> {
  const reached = new Set<Value>([v]);
  const nodes = new Set<Node>();
  for (const n of g.nodes)
    if (n.inputs.some((x) => reached.has(x))) {
      nodes.add(n);
      n.outputs.forEach((o) => reached.add(o));
    }
  return nodes;
}

/**
 * The block's MLP input (its token count is the block's, after any reduction) and the MLP
 * residual's result: the first layer_norm after the attention residual is the MLP's norm, and
 * its input is added to the MLP branch.
 */
function blockOutput(g: Graph, bl: VitBlock): { tokens: number; out: Value | undefined } {
  const below = downstream(g, bl.xMid);
  const ln = g.nodes.find((n) => below.has(n) && isOp(n, LayerNorm));
  const stream = ln?.inputs[0];
  const t = stream?.type.shape[1];
  if (!ln || !stream || t === undefined || !isStatic(t)) return { tokens: bl.tokens, out: undefined };
  const branch = downstream(g, ln.outputs[0]!);
  const add = g.users(stream).find((n) => isOp(n, Add) && n.inputs.some((x) => x !== stream && branch.has(g.producer(x)!)));
  return { tokens: t, out: add?.outputs[0] };
}
