import type { Node } from '../../ir/graph.js';
import type { EExpr } from '../workload/expr.js';
import type { Operand, Workload } from '../workload/types.js';
import type { Chain } from './chain.js';
import type { Loc } from './types.js';
import { contiguousView, type View } from './view.js';

/**
 * What an anchor node (matmul, conv, attention, a normalisation, a reduction, or the first
 * pointwise node of an elementwise kernel) contributes to a fused kernel: its index space, its own
 * operands, and how to assemble the workload once the epilogue and output placement are known.
 */
export interface Seed {
  /** Kernel name stem. */
  readonly label: string;
  readonly node: Node;
  /** The kernel's output index space. */
  readonly space: readonly number[];
  /** From the kernel's index space to the shape of the node's result. */
  readonly chain: Chain;
  /** The anchor's own operands, as the workload addresses them. */
  readonly operands: readonly Loc[];
  /** Pointwise work the anchor starts with (ACC for compute anchors, the node's expression for pointwise seeds). */
  readonly epilogue: EExpr;
  /** Whether later pointwise nodes may join. */
  readonly fusesEpilogue: boolean;
  /**
   * Builds the workload: `operands` holds this seed's operands followed by the epilogue's, all as
   * workload operands (views in the workload's conventions / the index space); `output` is the
   * store view in the index space.
   */
  make(epilogue: EExpr, operands: readonly Operand[], output: View): Workload;
  /**
   * Shapes of the node's further results (top_k's indices, attention's class-token statistics).
   * All results share the task's output buffer, packed one after the other (`packedViews`); such
   * anchors take no epilogue, never store into a consumer's layout, and are emitted at once.
   */
  readonly extraResults?: readonly (readonly number[])[];
}

/** Contiguous views of results stored one after the other in one buffer, the first at offset 0. */
export function packedViews(shapes: readonly (readonly number[])[]): View[] {
  let offset = 0;
  return shapes.map((shape) => {
    const v = contiguousView(shape, offset);
    offset += Math.max(1, shape.reduce((a, b) => a * b, 1));
    return v;
  });
}
