import type { Graph, Node, Value } from '../../ir/graph.js';
import { isOp } from '../../ir/graph.js';
import { Concat } from '../../ir/ops/concat.js';
import { Pad } from '../../ir/ops/pad.js';
import { Tile } from '../../ir/ops/tile.js';
import { Tensor } from '../../ir/tensor.js';

/**
 * Where the elements of a value come from when it is its source rearranged by layout ops only
 * (reshape, transpose, slice, split, gather with constant indices, expand, zero padding...).
 */
export interface LayoutTrace {
  /** The first value, walking back, that is not the result of a layout op (or where `stop` said). */
  readonly source: Value;
  /** For every element of the traced value (row-major): 1 + its row-major offset in `source`, 0 for padding. */
  readonly map: Int32Array;
}

/**
 * Traces `v` back through layout ops to its source and computes the element map by running the
 * ops' own reference implementations on an index tensor, so the map is exactly what the graph
 * computes, however the model spelled its reshapes and permutes. `stop` ends the walk early at
 * a value (the input of a block). Shapes must be static.
 */
export function traceLayout(g: Graph, v: Value, constantOf: (v: Value) => Tensor | undefined, stop?: (v: Value) => boolean): LayoutTrace {
  const steps: { node: Node; output: number }[] = [];
  let cur = v;
  for (;;) {
    if (stop?.(cur)) break;
    const p = g.producer(cur);
    if (!p || !isLayoutNode(p, constantOf)) break;
    steps.unshift({ node: p, output: p.outputs.indexOf(cur) });
    cur = p.inputs[0]!;
  }
  const shape = cur.type.shape as number[];
  const n = shape.reduce((a, b) => a * b, 1);
  let t = new Tensor('i32', shape, Int32Array.from({ length: n }, (_, i) => i + 1));
  for (const s of steps) {
    const operands = [t, ...s.node.inputs.slice(1).map((x) => constantOf(x)!)];
    t = s.node.op.reference(operands, s.node.attrs as never)[s.output]!;
  }
  return { source: cur, map: t.data as Int32Array };
}

/** A node that only rearranges its first operand (its other operands, if any, constant). */
function isLayoutNode(n: Node, constantOf: (v: Value) => Tensor | undefined): boolean {
  const rearranges = (n.op.traits?.layout === true && !isOp(n, Concat) && !isOp(n, Tile)) || (isOp(n, Pad) && n.attrs.mode === 'constant' && n.attrs.value === 0);
  return rearranges && n.inputs.length >= 1 && constantOf(n.inputs[0]!) === undefined && n.inputs.slice(1).every((x) => constantOf(x) !== undefined);
}

/** Row-major offsets of a shape: unravel(i) for element i. */
export function unravel(i: number, shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  for (let a = shape.length - 1; a >= 0; a--) {
    out[a] = i % shape[a]!;
    i = Math.floor(i / shape[a]!);
  }
  return out;
}
