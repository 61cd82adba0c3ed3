import { isOp, type Node } from '../../ir/graph.js';
import { Split } from '../../ir/ops/concat.js';
import { Gather } from '../../ir/ops/gather.js';
import { Dropout, Identity } from '../../ir/ops/identity.js';
import { Pad } from '../../ir/ops/pad.js';
import { Expand, Reshape } from '../../ir/ops/reshape.js';
import { Slice, sliceRanges } from '../../ir/ops/slice.js';
import { Tile } from '../../ir/ops/tile.js';
import { Transpose } from '../../ir/ops/transpose.js';
import type { Tensor } from '../../ir/tensor.js';
import type { ChainStep } from './chain.js';
import { expand, pad, permute, reshape, selectIndex, slice, type View, viewShape } from './view.js';

const shapeOf = (n: Node, i = 0): number[] => n.outputs[i]!.type.shape as number[];

/**
 * The bijective layout step a node performs (reshape, transpose; identity and inference dropout
 * are empty steps), or undefined when the node is not a pure relabelling of its operand.
 */
export function bijectiveStep(n: Node): ChainStep[] | undefined {
  if (isOp(n, Identity) || isOp(n, Dropout)) return [];
  if (isOp(n, Reshape)) return [{ kind: 'reshape', from: n.inputs[0]!.type.shape as number[], to: shapeOf(n) }];
  if (isOp(n, Transpose)) return [{ kind: 'transpose', perm: n.attrs.perm }];
  return undefined;
}

/**
 * Result views of a node that only changes how its first operand is addressed (layout ops,
 * constant-index gathers, zero padding), or undefined when it computes something.
 * `constantOf` gives the tensor behind a constant operand (gather indices).
 */
export function viewTransform(n: Node, constantOf: (i: number) => Tensor | undefined): ((v: View) => View[]) | undefined {
  if (isOp(n, Identity) || isOp(n, Dropout)) return (v) => [v];
  if (isOp(n, Reshape)) return (v) => [reshape(v, shapeOf(n))];
  if (isOp(n, Transpose)) return (v) => [permute(v, n.attrs.perm)];
  if (isOp(n, Expand)) return (v) => [expand(v, shapeOf(n))];
  if (isOp(n, Slice)) {
    const ranges = sliceRanges(n.inputs[0]!.type.shape, n.attrs);
    return (v) => [ranges.reduce((cur, r, axis) => (r.start === 0 && r.step === 1 && r.count === viewShape(cur)[axis] ? cur : slice(cur, axis, r.start, r.count as number, r.step)), v)];
  }
  if (isOp(n, Split)) {
    const rank = n.inputs[0]!.type.shape.length;
    const axis = (n.attrs.axis + rank) % rank;
    return (v) => {
      let start = 0;
      return n.attrs.sizes.map((size) => {
        const out = slice(v, axis, start, size, 1);
        start += size;
        return out;
      });
    };
  }
  if (isOp(n, Gather)) {
    const idx = constantOf(1);
    if (!idx) return undefined;
    const shape = n.inputs[0]!.type.shape as number[];
    const axis = (n.attrs.axis + shape.length) % shape.length;
    const d = shape[axis]!;
    const values = idx.toNumbers().map((i) => (i < 0 ? i + d : i));
    if (idx.rank === 0) return (v) => [selectIndex(v, axis, values[0]!)];
    // A 1-D arithmetic progression of indices is a strided slice.
    const step = values.length > 1 ? values[1]! - values[0]! : 1;
    if (idx.rank === 1 && step !== 0 && values.every((x, i) => x === values[0]! + i * step)) return (v) => [slice(v, axis, values[0]!, values.length, step)];
    return undefined;
  }
  if (isOp(n, Pad)) {
    const rank = n.inputs[0]!.type.shape.length;
    const begins = n.attrs.pads.slice(0, rank);
    const ends = n.attrs.pads.slice(rank);
    if (n.attrs.mode !== 'constant' || n.attrs.value !== 0 || [...begins, ...ends].some((p) => p < 0)) return undefined;
    return (v) => [pad(v, begins, ends)];
  }
  if (isOp(n, Tile)) {
    const shape = n.inputs[0]!.type.shape as number[];
    const reps = n.attrs.repeats;
    // Tile = broadcast along a new axis in front of each tiled axis, then merge the pairs.
    return (v) => {
      const split = shape.flatMap((d, i) => [1, d]);
      const expanded = expand(reshape(v, split), shape.flatMap((d, i) => [reps[i]!, d]));
      return [reshape(expanded, shape.map((d, i) => d * reps[i]!))];
    };
  }
  return undefined;
}
