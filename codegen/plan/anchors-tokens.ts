import { VitcError } from '../../ir/errors.js';
import { isOp, type Node, type Value } from '../../ir/graph.js';
import { Attention } from '../../ir/ops/attention.js';
import { Gather } from '../../ir/ops/gather.js';
import { GatherElements, ScatterAdd } from '../../ir/ops/gather-elements.js';
import { TopK } from '../../ir/ops/top-k.js';
import { ACC } from '../workload/expr.js';
import type { AttentionWorkload } from '../workload/types.js';
import type { PlannerApi } from './anchors.js';
import { packedViews, type Seed } from './seeds.js';
import type { Loc } from './types.js';
import { expand, reshape } from './view.js';

/*
 * Kernel seeds of the token-reduction ops (ToMe, PPT): top_k, element-wise and dynamic gathers,
 * scatter-add, and the class-token statistics of attention. Index tensors live in f32 buffers as
 * exact integers (like every value the kernels compute); kernels convert them on load.
 */

const shapeOf = (v: Value): number[] => v.type.shape as number[];
const normAxis = (axis: number, rank: number) => (axis + rank) % rank;

/** The seed of a token-reduction op, or undefined for other nodes. */
export function tokenAnchorSeed(n: Node, api: PlannerApi): Seed | undefined {
  if (isOp(n, TopK)) return topKSeed(n, api, n.attrs.k, n.attrs.largest);
  if (isOp(n, GatherElements)) return gatherElementsSeed(n, api, n.attrs.axis);
  if (isOp(n, Gather)) return dynamicGatherSeed(n, api, n.attrs.axis);
  if (isOp(n, ScatterAdd)) return scatterAddSeed(n, api, n.attrs.axis);
  return undefined;
}

/** An attention seed extended with query row 0's probabilities and the value norms when the node asks for them. */
export function withClsStats(n: Node, base: Seed): Seed {
  if (!isOp(n, Attention) || !n.attrs.cls_stats) return base;
  const row = shapeOf(n.outputs[1]!);
  const [, probs, vnorm] = packedViews([shapeOf(n.outputs[0]!), row, row]);
  return {
    ...base,
    label: 'attention_cls',
    extraResults: [row, row],
    make: (epi, ops, output) => ({ ...(base.make(epi, ops, output) as AttentionWorkload), clsStats: { probs: { view: probs! }, vnorm: { view: vnorm! } } }),
  };
}

function topKSeed(n: Node, api: PlannerApi, k: number, largest: boolean): Seed {
  const x = n.inputs[0]!;
  const shape = shapeOf(x);
  const rows = shape.slice(0, -1);
  const out = [...rows, k];
  const [, indices] = packedViews([out, out]);
  return {
    label: 'top_k',
    node: n,
    space: out,
    chain: [],
    operands: [api.locOf(x)],
    epilogue: ACC,
    fusesEpilogue: false,
    extraResults: [out],
    make: (_epi, ops, output) => ({ kind: 'top_k', rows, n: shape[shape.length - 1]!, k, largest, operands: ops, output: { view: output }, indices: { view: indices! } }),
  };
}

function gatherSeed(n: Node, x: Loc, indices: Loc, xAxes: readonly number[]): Seed {
  const shape = shapeOf(n.outputs[0]!);
  return {
    label: 'gather',
    node: n,
    space: shape,
    chain: [],
    operands: [x, indices],
    epilogue: ACC,
    fusesEpilogue: true,
    make: (epilogue, ops, output) => ({ kind: 'gather', shape, x: 0, indices: 1, xAxes, operands: ops, epilogue, output: { view: output } }),
  };
}

function gatherElementsSeed(n: Node, api: PlannerApi, axis: number): Seed {
  const [x, idx] = n.inputs as [Value, Value];
  const ax = normAxis(axis, shapeOf(x).length);
  return gatherSeed(n, api.locOf(x), api.locOf(idx), shapeOf(x).map((_, a) => (a === ax ? -1 : a)));
}

/** ONNX Gather with computed indices: the indices are viewed over the output, broadcast across the other axes. */
function dynamicGatherSeed(n: Node, api: PlannerApi, axis: number): Seed {
  const [x, idx] = n.inputs as [Value, Value];
  const xs = shapeOf(x);
  const ax = normAxis(axis, xs.length);
  const q = shapeOf(idx).length;
  const out = shapeOf(n.outputs[0]!);
  const il = api.locOf(idx);
  const aligned = [...new Array<number>(ax).fill(1), ...shapeOf(idx), ...new Array<number>(xs.length - ax - 1).fill(1)];
  const view = expand(reshape(il.view, aligned), out);
  return gatherSeed(n, api.locOf(x), { buffer: il.buffer, view }, xs.map((_, a) => (a < ax ? a : a === ax ? -1 : a + q - 1)));
}

function scatterAddSeed(n: Node, api: PlannerApi, axis: number): Seed {
  const [data, idx, upd] = n.inputs as [Value, Value, Value];
  const shape = shapeOf(data);
  const updateShape = shapeOf(upd);
  const ax = normAxis(axis, shape.length);
  if (updateShape.some((d, a) => a !== ax && d !== shape[a]))
    throw new VitcError(`scatter_add with updates [${updateShape.join(',')}] smaller than data [${shape.join(',')}] off the axis has no WebGPU lowering yet`);
  return {
    label: 'scatter_add',
    node: n,
    space: shape,
    chain: [],
    operands: [api.locOf(data), api.locOf(idx), api.locOf(upd)],
    epilogue: ACC,
    fusesEpilogue: true,
    make: (epilogue, ops, output) => ({ kind: 'scatter_add', shape, updateShape, axis: ax, data: 0, indices: 1, updates: 2, operands: ops, epilogue, output: { view: output } }),
  };
}
