import type { Node } from '../../ir/graph.js';
import type { EExpr } from '../workload/expr.js';
import type { PlannerApi } from './anchors.js';
import { channelwise, pointwiseExpr } from './pointwise-nodes.js';
import type { Seed } from './seeds.js';
import { expand, pad } from './view.js';

/** A pointwise node that starts its own elementwise kernel. */
export function pointwiseSeed(n: Node, api: PlannerApi): Seed {
  const shape = n.outputs[0]!.type.shape as number[];
  const operands = n.inputs.map((x, i) => {
    const loc = api.locOf(x);
    return { buffer: loc.buffer, view: expand(channelwise(n, i, loc.view, shape), shape) };
  });
  return elementwiseSeed(n, 'elementwise', shape, operands, pointwiseExpr(n, (i) => ({ op: 'input', index: i }))!);
}

/** Concatenation as a sum of zero-padded views: each operand is valid on its own slab only. */
export function concatSeed(n: Node, api: PlannerApi): Seed {
  const shape = n.outputs[0]!.type.shape as number[];
  const axis = ((n.attrs as { axis: number }).axis + shape.length) % shape.length;
  let at = 0;
  const operands = n.inputs.map((x) => {
    const loc = api.locOf(x);
    const size = x.type.shape[axis] as number;
    const begins = shape.map((_, a) => (a === axis ? at : 0));
    const ends = shape.map((d, a) => (a === axis ? d - at - size : 0));
    at += size;
    return { buffer: loc.buffer, view: pad(loc.view, begins, ends) };
  });
  const expr = operands.slice(1).reduce<EExpr>((acc, _, i) => ({ op: 'binary', fn: 'add', a: acc, b: { op: 'input', index: i + 1 } }), { op: 'input', index: 0 });
  return elementwiseSeed(n, 'concat', shape, operands, expr);
}

function elementwiseSeed(n: Node, label: string, shape: number[], operands: Seed['operands'], expr: EExpr): Seed {
  return {
    label,
    node: n,
    space: shape,
    chain: [],
    operands,
    epilogue: expr,
    fusesEpilogue: true,
    make: (epilogue, ops, output) => ({ kind: 'elementwise', shape, operands: ops, expr: epilogue, output: { view: output } }),
  };
}
