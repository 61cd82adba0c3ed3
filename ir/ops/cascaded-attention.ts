import { attr } from '../attrs.js';
import { type Dim, shapeToString } from '../dim.js';
import { fail } from '../errors.js';
import { defineOp } from '../op.js';
import { tensorType, type TensorType } from '../types.js';
import { cascadedAttention } from '../../runtime/reference/kernels/cascaded-attention.js';
import { numbersOf, tensorFrom } from '../../runtime/reference/kernels/storage.js';
import { countPerBatch, requireFloat, requireShape, staticAxes } from './operand-checks.js';

interface CascadedAttrs {
  readonly heads: number;
  readonly key_dim: number;
  readonly kernels: readonly number[];
  readonly scale: number;
  readonly activation: string;
}

interface CascadedShapes {
  readonly batch: Dim;
  readonly channels: number;
  readonly outChannels: number;
  readonly height: number;
  readonly width: number;
  readonly valueDim: number;
  readonly kernelSide: number;
}

const OP = 'cascaded_attention';

function shapesOf(ins: readonly (TensorType | undefined)[], a: CascadedAttrs): CascadedShapes {
  const [x, wQkv, bQkv, wDw, bDw, bias, wProj, bProj] = ins as TensorType[];
  for (const [t, what] of [[x, 'x'], [wQkv, 'w_qkv'], [bQkv, 'b_qkv'], [wDw, 'w_dw'], [bDw, 'b_dw'], [bias, 'bias'], [wProj, 'w_proj'], [bProj, 'b_proj']] as const) {
    requireFloat(OP, t!, what);
    if (t!.dtype !== x!.dtype) fail(`'${OP}' ${what} has element type ${t!.dtype}, x has ${x!.dtype}`);
  }
  if (x!.shape.length !== 4) fail(`'${OP}' needs x of rank 4 [B, C, H, W], got ${shapeToString(x!.shape)}`);
  const [channels, height, width] = staticAxes(OP, x!.shape, 1, 4, 'channel and spatial') as [number, number, number];
  const { heads: h, key_dim: kd } = a;
  if (h < 1 || channels % h !== 0) fail(`'${OP}' heads ${h} must divide the ${channels} channels`);
  if (kd < 1) fail(`'${OP}' key_dim must be positive, got ${kd}`);
  if (a.kernels.length !== h) fail(`'${OP}' needs one kernel size per head (${h}), got [${a.kernels.join(',')}]`);
  if (a.kernels.some((k) => k < 1 || k % 2 === 0)) fail(`'${OP}' kernel sizes must be odd, got [${a.kernels.join(',')}]`);
  if (a.activation !== 'relu' && a.activation !== 'none') fail(`'${OP}' activation must be relu or none`);
  const d = channels / h;
  const n = height * width;
  const side = wDw!.shape[2];
  if (typeof side !== 'number' || side < Math.max(...a.kernels) || side % 2 === 0)
    fail(`'${OP}' w_dw ${shapeToString(wDw!.shape)} must be [heads, key_dim, K, K] with K odd and at least every kernel size`);
  requireShape(OP, wQkv!, [h, 2 * kd + d, d], 'w_qkv');
  requireShape(OP, bQkv!, [h, 2 * kd + d], 'b_qkv');
  requireShape(OP, wDw!, [h, kd, side, side], 'w_dw');
  requireShape(OP, bDw!, [h, kd], 'b_dw');
  requireShape(OP, bias!, [h, n, n], 'bias');
  const outChannels = wProj!.shape[0];
  if (typeof outChannels !== 'number') fail(`'${OP}' w_proj must have static shape [C_out, C]`);
  requireShape(OP, wProj!, [outChannels, channels], 'w_proj');
  requireShape(OP, bProj!, [outChannels], 'b_proj');
  return { batch: x!.shape[0]!, channels, outChannels, height, width, valueDim: d, kernelSide: side };
}

/**
 * EfficientViT's cascaded group attention with its output projection, on [B, C, H, W] (B counts
 * windows). Head j (of `heads`, value width d = C/heads) takes channels [j·d, (j+1)·d) of x plus
 * head j-1's output, projects them with w_qkv[j] (rows: q, k, v of widths key_dim, key_dim, d)
 * and b_qkv[j], filters q with the centred kernels[j]² taps of w_dw[j] (zero padding, bias
 * b_dw[j]), and attends over the H·W positions: Y_j = v·softmax(qᵀk·scale + bias[j])ᵀ.
 * The result is w_proj·act(concat_j Y_j) + b_proj, act = relu or none. Made by sandwich-fuse.
 */
export const CascadedAttention = defineOp({
  name: OP,
  summary: 'EfficientViT cascaded group attention + projection',
  attrs: { heads: attr.int(), key_dim: attr.int(), kernels: attr.ints(), scale: attr.float(), activation: attr.oneOf(['relu', 'none'], 'relu') },
  inputs: ['x', 'w_qkv', 'b_qkv', 'w_dw', 'b_dw', 'bias', 'w_proj', 'b_proj'],
  outputs: 1,
  infer: (ins, a) => {
    const s = shapesOf(ins, a);
    return [tensorType(ins[0]!.dtype, [s.batch, s.outChannels, s.height, s.width])];
  },
  reference: (ins, a) => {
    const s = shapesOf(ins, a);
    const [x, wQkv, bQkv, wDw, bDw, bias, wProj, bProj] = ins.map((t) => numbersOf(t!));
    const batch = s.batch as number;
    const geometry = { ...s, batch, heads: a.heads, keyDim: a.key_dim, kernels: a.kernels, scale: a.scale, relu: a.activation === 'relu' };
    const out = cascadedAttention(x!, geometry, { wQkv: wQkv!, bQkv: bQkv!, wDw: wDw!, bDw: bDw!, bias: bias!, wProj: wProj!, bProj: bProj! });
    return [tensorFrom(ins[0]!.dtype, [batch, s.outChannels, s.height, s.width], out)];
  },
  flops: (ins, _outs, a) => {
    const s = shapesOf(ins, a);
    const n = s.height * s.width;
    const windows = countPerBatch([s.batch]);
    const kd = a.key_dim;
    const d = s.valueDim;
    const perHead = n * ((2 * kd + d) * d * 2 + a.kernels.reduce((m, k) => Math.max(m, k), 1) ** 2 * kd * 2 + n * (2 * kd + 2 * d + 5));
    return windows * (a.heads * perHead + n * s.outChannels * s.channels * 2);
  },
});
