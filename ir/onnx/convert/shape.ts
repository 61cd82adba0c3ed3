import { type Dim, dimProduct, isStatic, normAxis } from '../../dim.js';
import { isInteger } from '../../dtype.js';
import { VitcError } from '../../errors.js';
import { Concat, Expand, Fill, Gather, Pad, Range, Reshape, ScatterNd, Slice, Split, Tile, Transpose } from '../../ops/index.js';
import { Tensor } from '../../tensor.js';
import type { NodeContext } from '../context.js';
import { type Known, knownConst, knownSym } from '../known-values.js';
import { flattenShape, resolveReshape, squeezeShape, unsqueezeShape } from './shape-utils.js';
import type { ConverterTable } from './types.js';

function reshapeTo(ctx: NodeContext, x: Known, shape: readonly Dim[]): Known {
  return ctx.emit1(Reshape, [x], { shape });
}

/** Optional axes: an input from opset 13 (Squeeze/Unsqueeze/ReduceSum) or 18 (other reductions). */
export function axesInput(ctx: NodeContext, i: number): number[] | undefined {
  return ctx.has(i) ? ctx.ints(i, "input 'axes'") : undefined;
}

/** Slice bounds may be symbolic only where they equal the whole axis (x[:, :N] on an N axis). */
function sliceBounds(ctx: NodeContext, i: number, what: string, axes: readonly number[], shape: readonly Dim[]): number[] {
  const dims = ctx.dims(i, what);
  return dims.map((d, j) => {
    if (isStatic(d)) return d;
    const axis = normAxis(axes[j] ?? j, shape.length, 'Slice axis');
    if (shape[axis] === d) return Number.MAX_SAFE_INTEGER;
    throw new VitcError(`${what} [${dims.join(',')}] depends on the batch size`);
  });
}

export const SHAPE_CONVERTERS: ConverterTable = {
  Constant: (ctx) => {
    const a = ctx.attrs;
    const t = a.tensor('value');
    if (t) return [knownConst(t)];
    const f = a.float('value_float');
    if (f !== undefined) return [knownConst(Tensor.fromNumbers('f32', [], [f]))];
    const fs = a.floats('value_floats');
    if (fs) return [knownConst(Tensor.fromNumbers('f32', [fs.length], fs))];
    const i = a.int('value_int');
    if (i !== undefined) return [knownConst(Tensor.fromNumbers('i64', [], [i]))];
    const is = a.ints('value_ints');
    if (is) return [knownConst(Tensor.fromNumbers('i64', [is.length], is))];
    throw new VitcError('Constant has no supported value attribute (sparse and string constants are not supported)');
  },

  Shape: (ctx) => {
    const shape = ctx.type(0).shape;
    const r = shape.length;
    const clampIx = (v: number) => Math.min(r, Math.max(0, v < 0 ? v + r : v));
    const start = clampIx(ctx.attrs.int('start', 0));
    const end = clampIx(ctx.attrs.int('end', r));
    const dims = shape.slice(start, Math.max(start, end));
    return [knownSym('i64', [dims.length], dims)];
  },

  Size: (ctx) => [knownSym('i64', [], [dimProduct(ctx.type(0).shape)])],

  Reshape: (ctx) => {
    const target = ctx.dims(1, "input 'shape'");
    const allowzero = ctx.attrs.int('allowzero', 0) !== 0;
    return [reshapeTo(ctx, ctx.input(0), resolveReshape(ctx.type(0).shape, target, allowzero))];
  },

  Flatten: (ctx) => [reshapeTo(ctx, ctx.input(0), flattenShape(ctx.type(0).shape, ctx.attrs.int('axis', 1)))],

  Squeeze: (ctx) => [reshapeTo(ctx, ctx.input(0), squeezeShape(ctx.type(0).shape, axesInput(ctx, 1)))],

  Unsqueeze: (ctx) => {
    const axes = axesInput(ctx, 1);
    if (!axes) throw new VitcError("Unsqueeze needs input 'axes'");
    return [reshapeTo(ctx, ctx.input(0), unsqueezeShape(ctx.type(0).shape, axes))];
  },

  Transpose: (ctx) => {
    const rank = ctx.type(0).shape.length;
    const perm = ctx.attrs.ints('perm') ?? [...Array(rank).keys()].reverse();
    return [ctx.emit1(Transpose, [ctx.input(0)], { perm })];
  },

  Concat: (ctx) => {
    const parts = [...Array(ctx.inputCount).keys()].map((i) => ctx.input(i));
    return [ctx.emit1(Concat, parts, { axis: ctx.attrs.int('axis') ?? fail('Concat needs attribute axis') })];
  },

  Split: (ctx) => {
    const shape = ctx.type(0).shape;
    const axisAttr = ctx.attrs.int('axis', 0);
    const axis = normAxis(axisAttr, shape.length, 'Split axis');
    const n = ctx.node.output!.length;
    let sizes = ctx.has(1) ? ctx.ints(1, "input 'split'") : undefined;
    const numOutputs = ctx.attrs.int('num_outputs');
    if (!sizes) {
      const total = shape[axis]!;
      if (!isStatic(total)) throw new VitcError(`Split without sizes along the symbolic axis ${axis} is not supported`);
      if (numOutputs !== undefined) {
        // Opset 18: chunks of ceil(total / num_outputs), the last one smaller.
        const chunk = Math.ceil(total / numOutputs);
        sizes = [...Array(numOutputs).keys()].map((i) => Math.max(0, Math.min(chunk, total - i * chunk)));
      } else {
        if (total % n !== 0) throw new VitcError(`Split of size ${total} into ${n} equal parts is not possible`);
        sizes = Array<number>(n).fill(total / n);
      }
    }
    if (sizes.length !== n) throw new VitcError(`Split has ${n} outputs but ${sizes.length} sizes`);
    return ctx.emit(Split, [ctx.input(0)], { axis: axisAttr, sizes });
  },

  Slice: (ctx) => {
    const shape = ctx.type(0).shape;
    const nStarts = ctx.type(1).shape[0];
    if (typeof nStarts !== 'number') throw new VitcError("Slice input 'starts' has a symbolic length");
    const axes = axesInput(ctx, 3) ?? [...Array(nStarts).keys()];
    const starts = sliceBounds(ctx, 1, "input 'starts'", axes, shape);
    const ends = sliceBounds(ctx, 2, "input 'ends'", axes, shape);
    const steps = ctx.has(4) ? ctx.ints(4, "input 'steps'") : Array<number>(starts.length).fill(1);
    return [ctx.emit1(Slice, [ctx.input(0)], { starts, ends, axes, steps })];
  },

  Gather: (ctx) => [ctx.emit1(Gather, [ctx.input(0), ctx.input(1)], { axis: ctx.attrs.int('axis', 0) })],

  Expand: (ctx) => [ctx.emit1(Expand, [ctx.input(0)], { shape: ctx.dims(1, "input 'shape'") })],

  Tile: (ctx) => [ctx.emit1(Tile, [ctx.input(0)], { repeats: ctx.ints(1, "input 'repeats'") })],

  Pad: (ctx) => {
    const rank = ctx.type(0).shape.length;
    const mode = ctx.attrs.string('mode', 'constant');
    if (mode !== 'constant' && mode !== 'reflect' && mode !== 'edge') throw new VitcError(`Pad mode '${mode}' is not supported`);
    const given = ctx.ints(1, "input 'pads'");
    const value = ctx.has(2) ? ctx.scalar(2, "input 'constant_value'") : 0;
    let pads = given;
    if (ctx.has(3)) {
      // Opset 18: pads for the listed axes only.
      const axes = ctx.ints(3, "input 'axes'").map((a) => normAxis(a, rank, 'Pad axis'));
      if (given.length !== 2 * axes.length) throw new VitcError(`Pad has ${axes.length} axes but ${given.length} pads`);
      pads = Array<number>(2 * rank).fill(0);
      axes.forEach((a, j) => {
        pads[a] = given[j]!;
        pads[a + rank] = given[j + axes.length]!;
      });
    }
    if (pads.length !== 2 * rank) throw new VitcError(`Pad needs ${2 * rank} pads for rank ${rank}, got ${pads.length}`);
    return [ctx.emit1(Pad, [ctx.input(0)], { pads, mode, value })];
  },

  ConstantOfShape: (ctx) => {
    const shape = ctx.dims(0, "input 'shape'");
    const v = ctx.attrs.tensor('value') ?? Tensor.fromNumbers('f32', [1], [0]);
    if (v.size !== 1) throw new VitcError(`ConstantOfShape value must have one element, got ${v.size}`);
    return [ctx.emit1(Fill, [], { shape, value: v.get(0), dtype: v.dtype })];
  },

  Range: (ctx) => {
    const dtype = ctx.type(0).dtype;
    const [start, limit, delta] = [0, 1, 2].map((i) => ctx.scalar(i, `input '${['start', 'limit', 'delta'][i]}'`));
    if (delta === 0) throw new VitcError('Range delta is 0');
    return [ctx.emit1(Range, [], { start: start!, limit: limit!, delta: delta!, dtype })];
  },

  ScatterND: (ctx) => {
    const reduction = ctx.attrs.string('reduction', 'none');
    if (reduction !== 'none') throw new VitcError(`ScatterND reduction '${reduction}' is not supported`);
    if (!isInteger(ctx.type(1).dtype)) throw new VitcError('ScatterND indices must be integers');
    return [ctx.emit1(ScatterNd, [ctx.input(0), ctx.input(1), ctx.input(2)], {})];
  },
};

function fail(msg: string): never {
  throw new VitcError(msg);
}
