import { attr } from '../attrs.js';
import { shapeToString } from '../dim.js';
import { fail } from '../errors.js';
import { defineOp } from '../op.js';
import type { Tensor } from '../tensor.js';
import { tensorType, type TensorType } from '../types.js';
import { Conv } from './conv.js';
import { countPerBatch, requireShape } from './operand-checks.js';

const OP = 'dw_pointwise_conv';

interface DwAttrs {
  readonly strides: readonly number[];
  readonly pads: readonly number[];
  readonly dilations: readonly number[];
}

/** The depthwise conv's attributes for `conv` (group = channels). */
function depthwiseAttrs(x: TensorType, a: DwAttrs) {
  return { strides: a.strides, pads: a.pads, dilations: a.dilations, group: x.shape[1] as number };
}

function pointwiseAttrs(rank: number) {
  const r = rank - 2;
  return { strides: new Array<number>(r).fill(1), pads: new Array<number>(2 * r).fill(0), dilations: new Array<number>(r).fill(1), group: 1 };
}

function checkShapes([x, wDw, bDw, wPw, bPw]: readonly (TensorType | undefined)[]): { channels: number; outChannels: number } {
  if (x!.shape.length !== 3 && x!.shape.length !== 4) fail(`'${OP}' needs x of rank 3 or 4, got ${shapeToString(x!.shape)}`);
  const channels = x!.shape[1];
  const outChannels = wPw!.shape[0];
  if (typeof channels !== 'number' || typeof outChannels !== 'number') fail(`'${OP}' needs static channel counts`);
  const spatial = x!.shape.length - 2;
  if (wDw!.shape.length !== x!.shape.length || wDw!.shape[0] !== channels || wDw!.shape[1] !== 1)
    fail(`'${OP}' w_dw ${shapeToString(wDw!.shape)} must be [C, 1, k…] with C = ${channels}`);
  requireShape(OP, bDw!, [channels], 'b_dw');
  requireShape(OP, wPw!, [outChannels, channels, ...new Array<number>(spatial).fill(1)], 'w_pw');
  requireShape(OP, bPw!, [outChannels], 'b_pw');
  return { channels, outChannels };
}

/**
 * A depthwise convolution (group = channels, with bias) followed by a 1x1 convolution (with
 * bias): conv(conv(x, w_dw, b_dw, group=C), w_pw, b_pw). Made by lowtention-fuse from
 * LowFormer's stride-s reduction and QKV projection, so that one kernel computes both.
 */
export const DwPointwiseConv = defineOp({
  name: OP,
  summary: 'depthwise conv then 1x1 conv',
  attrs: { strides: attr.ints(), pads: attr.ints(), dilations: attr.ints() },
  inputs: ['x', 'w_dw', 'b_dw', 'w_pw', 'b_pw'],
  outputs: 1,
  infer: (ins, a) => {
    const { outChannels } = checkShapes(ins);
    const [dw] = Conv.infer([ins[0]!, ins[1]!, ins[2]!], depthwiseAttrs(ins[0]!, a));
    return [tensorType(ins[0]!.dtype, [dw!.shape[0]!, outChannels, ...dw!.shape.slice(2)])];
  },
  reference: ([x, wDw, bDw, wPw, bPw], a) => {
    const [dw] = Conv.reference([x!, wDw!, bDw!], depthwiseAttrs(x!, a)) as [Tensor];
    return Conv.reference([dw, wPw!, bPw!], pointwiseAttrs(x!.rank));
  },
  flops: (ins, outs, a) => {
    const [dw] = Conv.infer([ins[0]!, ins[1]!, ins[2]!], depthwiseAttrs(ins[0]!, a));
    const taps = ins[1]!.shape.slice(2).reduce<number>((p, k) => p * (k as number), 1);
    return 2 * countPerBatch(dw!.shape) * taps + 2 * countPerBatch(outs[0]!.shape) * (ins[0]!.shape[1] as number);
  },
});
