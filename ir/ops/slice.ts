import { attr } from '../attrs.js';
import { type Dim, isStatic, shapeToString } from '../dim.js';
import { allocStorage } from '../dtype.js';
import { fail } from '../errors.js';
import { defineOp } from '../op.js';
import { stridesOf, Tensor } from '../tensor.js';
import { tensorType } from '../types.js';
import { gatherCopy, stridedOffsets } from '../../runtime/reference/kernels/gather-copy.js';
import { normAxes } from './operand-checks.js';

interface SliceAttrs {
  readonly starts: readonly number[];
  readonly ends: readonly number[];
  readonly axes: readonly number[];
  readonly steps: readonly number[];
}

/** What one axis keeps: `count` elements from `start` by `step` (the whole axis by default). */
interface AxisRange {
  readonly start: number;
  readonly step: number;
  readonly count: Dim;
}

/** Bounds at least this large stand for "to the end": no real axis is this long. */
const OPEN_END = 2 ** 31 - 1;

/** ONNX Slice on one static axis: negative bounds count from the end, then clamp. */
function staticRange(d: number, start: number, end: number, step: number): AxisRange {
  let s = start < 0 ? start + d : start;
  let e = end < 0 ? end + d : end;
  if (step > 0) {
    s = Math.min(Math.max(s, 0), d);
    e = Math.min(Math.max(e, 0), d);
    return { start: s, step, count: Math.max(0, Math.ceil((e - s) / step)) };
  }
  s = Math.min(Math.max(s, 0), d - 1);
  e = Math.min(Math.max(e, -1), d - 1);
  return { start: s, step, count: Math.max(0, Math.ceil((s - e) / -step)) };
}

/**
 * Per-axis ranges of a slice. A symbolic axis may only be kept whole (step 1 from the start to an
 * open end) or reversed whole (step −1 from the last element past the beginning): any other slice
 * of it has a size that depends on the batch in a way vitc's dims cannot express.
 */
export function sliceRanges(shape: readonly Dim[], a: SliceAttrs): AxisRange[] {
  const n = a.starts.length;
  if (a.ends.length !== n) fail(`'slice' has ${n} starts but ${a.ends.length} ends`);
  const axes = a.axes.length === 0 ? [...Array(n).keys()] : a.axes;
  const steps = a.steps.length === 0 ? new Array<number>(n).fill(1) : a.steps;
  if (axes.length !== n || steps.length !== n) fail(`'slice' starts, ends, axes and steps must have the same length`);
  const norm = normAxes('slice', axes, shape.length);
  const ranges: AxisRange[] = shape.map((d) => ({ start: 0, step: 1, count: d }));
  norm.forEach((ax, i) => {
    const [start, end, step] = [a.starts[i]!, a.ends[i]!, steps[i]!];
    if (step === 0) fail(`'slice' step on axis ${ax} is 0`);
    const d = shape[ax]!;
    if (isStatic(d)) {
      ranges[ax] = staticRange(d, start, end, step);
      return;
    }
    const whole = step === 1 && (start === 0 || start <= -OPEN_END) && end >= OPEN_END;
    const reversed = step === -1 && (start === -1 || start >= OPEN_END) && end <= -OPEN_END;
    if (!whole && !reversed)
      fail(`'slice' of symbolic axis ${ax} of ${shapeToString(shape)} must keep the whole axis (start ${start}, end ${end}, step ${step})`);
    // Only inference gets here (the reference sees static shapes) and it needs just the count.
    ranges[ax] = { start: 0, step, count: d };
  });
  return ranges;
}

/** ONNX Slice: per listed axis, start/end (negative = from the end, clamped) and a non-zero step. */
export const Slice = defineOp({
  name: 'slice',
  summary: 'strided window of some axes',
  attrs: { starts: attr.ints(), ends: attr.ints(), axes: attr.ints([]), steps: attr.ints([]) },
  inputs: ['x'],
  outputs: 1,
  traits: { layout: true },
  infer: ([x], a) => [tensorType(x!.dtype, sliceRanges(x!.shape, a).map((r) => r.count))],
  reference: ([x], a) => {
    const ranges = sliceRanges(x!.shape, a);
    const shape = ranges.map((r) => r.count as number);
    const strides = stridesOf(x!.shape);
    const out = allocStorage(x!.dtype, shape.reduce((p, d) => p * d, 1));
    gatherCopy(x!.data, shape, ranges.map((r, i) => stridedOffsets(shape[i]!, r.start, r.step, strides[i]!)), 0, out);
    return [new Tensor(x!.dtype, shape, out)];
  },
});
