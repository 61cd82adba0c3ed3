import { attr } from '../attrs.js';
import { type Dim, shapeToString } from '../dim.js';
import { fail } from '../errors.js';
import { defineOp } from '../op.js';
import type { Tensor } from '../tensor.js';
import { type TensorType, tensorType } from '../types.js';
import { conv2d, convTranspose2d } from '../../runtime/reference/kernels/conv2d.js';
import { numbersOf, tensorFrom } from '../../runtime/reference/kernels/storage.js';
import { countPerBatch, requireFloat, requireSameDtype, requireShape, staticAxes } from './operand-checks.js';
import { checkWindowSpec, spatialSizes, window2d, windowOutSizes, type WindowSpec } from './window.js';

interface ConvAttrs {
  readonly strides: readonly number[];
  readonly pads: readonly number[];
  readonly dilations: readonly number[];
  readonly group: number;
}

/** Everything conv and conv_transpose derive from operand shapes: checked once, shared by infer, reference and flops. */
interface ConvGeometry {
  readonly batch: Dim;
  readonly cin: number;
  readonly cout: number;
  readonly sizes: number[];
  readonly outSizes: number[];
  readonly spec: WindowSpec;
}

function checkOperands(op: string, [x, w, b]: readonly (TensorType | undefined)[]): void {
  requireFloat(op, x!);
  requireSameDtype(op, x!.dtype, w!, 'weight');
  if (b) requireSameDtype(op, x!.dtype, b, 'bias');
  if (w!.shape.length !== x!.shape.length)
    fail(`'${op}' weight ${shapeToString(w!.shape)} must have the rank of x ${shapeToString(x!.shape)}`);
}

function checkGroup(op: string, group: number, cin: number, cout: number): void {
  if (group < 1) fail(`'${op}' group must be positive, got ${group}`);
  if (cin % group !== 0 || cout % group !== 0)
    fail(`'${op}' group ${group} does not divide ${cin} input and ${cout} output channels`);
}

function convGeometry(x: TensorType, w: TensorType, b: TensorType | undefined, a: ConvAttrs): ConvGeometry {
  const sizes = spatialSizes('conv', x);
  const [cout, cg, ...kernel] = staticAxes('conv', w.shape, 0, w.shape.length, 'weight');
  const cin = x.shape[1] as number;
  checkGroup('conv', a.group, cin, cout!);
  if (cg! * a.group !== cin)
    fail(`'conv' weight ${shapeToString(w.shape)} with group ${a.group} expects ${cg! * a.group} input channels, x has ${cin}`);
  if (b) requireShape('conv', b, [cout!], 'bias');
  const spec = { kernel, strides: a.strides, pads: a.pads, dilations: a.dilations };
  checkWindowSpec('conv', spec, sizes.length);
  const outSizes = windowOutSizes('conv', sizes, spec, false);
  return { batch: x.shape[0]!, cin, cout: cout!, sizes, outSizes, spec };
}

interface ConvTransposeAttrs extends ConvAttrs {
  readonly output_padding: readonly number[];
}

function convTransposeGeometry(x: TensorType, w: TensorType, b: TensorType | undefined, a: ConvTransposeAttrs): ConvGeometry {
  const sizes = spatialSizes('conv_transpose', x);
  const [wcin, cog, ...kernel] = staticAxes('conv_transpose', w.shape, 0, w.shape.length, 'weight');
  const cin = x.shape[1] as number;
  const cout = cog! * a.group;
  checkGroup('conv_transpose', a.group, cin, cout);
  if (wcin !== cin) fail(`'conv_transpose' weight ${shapeToString(w.shape)} expects ${wcin} input channels, x has ${cin}`);
  if (b) requireShape('conv_transpose', b, [cout], 'bias');
  const spec = { kernel, strides: a.strides, pads: a.pads, dilations: a.dilations };
  const r = sizes.length;
  checkWindowSpec('conv_transpose', spec, r);
  if (a.output_padding.length !== r) fail(`'conv_transpose' output_padding has ${a.output_padding.length} values, expected ${r}`);
  const outSizes = sizes.map((n, i) => {
    const op = a.output_padding[i]!;
    if (op < 0 || (op >= a.strides[i]! && op >= a.dilations[i]!))
      fail(`'conv_transpose' output_padding ${op} must be non-negative and smaller than the stride or the dilation`);
    const out = a.strides[i]! * (n - 1) + op + a.dilations[i]! * (kernel[i]! - 1) + 1 - a.pads[i]! - a.pads[r + i]!;
    if (out < 1) fail(`'conv_transpose' output size along spatial axis ${i} would be ${out}`);
    return out;
  });
  return { batch: x.shape[0]!, cin, cout, sizes, outSizes, spec };
}

function runConv(kernel: typeof conv2d, [x, w, b]: readonly Tensor[], geo: ConvGeometry, group: number): Tensor {
  const batch = geo.batch as number;
  const shape = { batch, cin: geo.cin, cout: geo.cout, group };
  const out = kernel(numbersOf(x!), numbersOf(w!), b ? numbersOf(b) : undefined, shape, window2d(geo.sizes, geo.outSizes, geo.spec));
  return tensorFrom(x!.dtype, [batch, geo.cout, ...geo.outSizes], out);
}

/**
 * 2 FLOPs per multiply-accumulate. A conv output element takes (cin/group)·prod(kernel) MACs; a
 * transposed conv input element scatters into (cout/group)·prod(kernel) outputs.
 */
function convFlops(geo: ConvGeometry, group: number, transposed: boolean): number {
  const kernel = geo.spec.kernel.reduce((p, k) => p * k, 1);
  const macs = transposed
    ? countPerBatch([geo.batch, geo.cin, ...geo.sizes]) * (geo.cout / group)
    : countPerBatch([geo.batch, geo.cout, ...geo.outSizes]) * (geo.cin / group);
  return 2 * macs * kernel;
}

const convAttrs = { strides: attr.ints(), pads: attr.ints(), dilations: attr.ints(), group: attr.int(1) };

/** N-d convolution over 1 or 2 spatial axes, NC… layout, w = [cout, cin/group, k…], pads = [begin…, end…]. */
export const Conv = defineOp({
  name: 'conv',
  summary: 'grouped convolution (NCHW / NCW)',
  attrs: convAttrs,
  inputs: ['x', 'w', 'b?'],
  outputs: 1,
  infer: (ins, a) => {
    checkOperands('conv', ins);
    const geo = convGeometry(ins[0]!, ins[1]!, ins[2], a);
    return [tensorType(ins[0]!.dtype, [geo.batch, geo.cout, ...geo.outSizes])];
  },
  reference: (ins, a) => [runConv(conv2d, ins, convGeometry(ins[0]!, ins[1]!, ins[2], a), a.group)],
  flops: (ins, _outs, a) => convFlops(convGeometry(ins[0]!, ins[1]!, ins[2], a), a.group, false),
});

/** Transposed convolution (the gradient of conv w.r.t. its input); w = [cin, cout/group, k…]. */
export const ConvTranspose = defineOp({
  name: 'conv_transpose',
  summary: 'grouped transposed convolution (NCHW / NCW)',
  attrs: { ...convAttrs, output_padding: attr.ints() },
  inputs: ['x', 'w', 'b?'],
  outputs: 1,
  infer: (ins, a) => {
    checkOperands('conv_transpose', ins);
    const geo = convTransposeGeometry(ins[0]!, ins[1]!, ins[2], a);
    return [tensorType(ins[0]!.dtype, [geo.batch, geo.cout, ...geo.outSizes])];
  },
  reference: (ins, a) => [runConv(convTranspose2d, ins, convTransposeGeometry(ins[0]!, ins[1]!, ins[2], a), a.group)],
  flops: (ins, _outs, a) => convFlops(convTransposeGeometry(ins[0]!, ins[1]!, ins[2], a), a.group, true),
});
