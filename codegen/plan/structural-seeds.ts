import { VitcError } from '../../ir/errors.js';
import { isOp, type Node, type Value } from '../../ir/graph.js';
import { CascadedAttention } from '../../ir/ops/cascaded-attention.js';
import { DwPointwiseConv } from '../../ir/ops/dw-pointwise-conv.js';
import { Tensor } from '../../ir/tensor.js';
import { ACC } from '../workload/expr.js';
import type { CascadedParamLayout } from '../workload/structural.js';
import type { PlannerApi } from './anchors.js';
import type { Seed } from './seeds.js';
import type { Loc } from './types.js';
import { pad, reshape } from './view.js';

const shapeOf = (v: Value): number[] => v.type.shape as number[];

/** 1-D spatial shapes get a unit H axis, so kernels only handle [B, C, H, W]. */
export function lift2d(xs: readonly number[], unit: number): [number, number] {
  return xs.length === 1 ? [unit, xs[0]!] : [xs[0]!, xs[1]!];
}

/**
 * The constant parameters of `n` (operands from index 1) packed into one weight buffer, so a
 * kernel with many small parameter tensors stays within WebGPU's storage-buffer binding limit.
 * `repack[i]`, where given, lays operand i out differently (it returns the packed values). Every
 * block starts at a multiple of 4 floats and the buffer is a whole number of vec4s, so kernels
 * may read it as vec4s. Returns the buffer and each operand's element offset in it.
 */
function packParams(
  n: Node,
  api: PlannerApi,
  names: readonly string[],
  repack: readonly (((t: Tensor) => Float32Array) | undefined)[] = [],
): { loc: Loc; offsets: number[] } {
  const blocks = n.inputs.slice(1).map((v, i) => {
    const t = api.constantOf(v);
    if (!t) throw new VitcError(`'${n.op.name}' with a non-constant ${names[i]} has no WebGPU lowering`);
    const r = repack[i];
    return r ? r(t) : Float32Array.from({ length: t.size }, (_, e) => t.get(e));
  });
  const align4 = (x: number) => Math.ceil(x / 4) * 4;
  const offsets: number[] = [];
  let total = 0;
  for (const block of blocks) {
    offsets.push(total);
    total = align4(total + block.length);
  }
  const data = new Float32Array(Math.max(4, total));
  blocks.forEach((block, i) => data.set(block, offsets[i]!));
  return { loc: api.bake(new Tensor('f32', [data.length], data), `${n.name ?? n.op.name}.params`), offsets };
}

/** Bias-table padding: exp(padding − max) is 0, so padded keys get no attention. */
const CASCADED_BIAS_PAD = -3.0e38;

/** Depthwise weights [heads, kd, K, K] as [heads, K·K, kd]: a tap's kd weights are contiguous. */
function tapMajor(heads: number, kd: number, side: number) {
  return (t: Tensor) => {
    const out = new Float32Array(heads * kd * side * side);
    for (let j = 0; j < heads; j++)
      for (let r = 0; r < kd; r++)
        for (let tap = 0; tap < side * side; tap++) out[(j * side * side + tap) * kd + r] = t.get(((j * kd + r) * side * side) + tap);
    return out;
  };
}

/** Attention biases [heads, N, N] with each row padded to `stride` keys of CASCADED_BIAS_PAD. */
function paddedRows(heads: number, n: number, stride: number) {
  return (t: Tensor) => {
    const out = new Float32Array(heads * n * stride).fill(CASCADED_BIAS_PAD);
    for (let row = 0; row < heads * n; row++) for (let m = 0; m < n; m++) out[row * stride + m] = t.get(row * n + m);
    return out;
  };
}

/**
 * Scratch floats one window needs, token-major so a token's channels are contiguous: xin [N, d],
 * qkv [N, 2kd + d], y [N, C] (the heads' outputs); the total is a whole number of vec4s.
 */
export function cascadedScratchLayout(channels: number, heads: number, keyDim: number, tokens: number) {
  const d = channels / heads;
  const xin = 0;
  const qkv = xin + d * tokens;
  const y = qkv + (2 * keyDim + d) * tokens;
  return { xin, qkv, y, total: Math.ceil((y + channels * tokens) / 4) * 4 };
}

/** Keys per bias-table row: N rounded up to a multiple of 4. */
export const cascadedBiasStride = (tokens: number) => Math.ceil(tokens / 4) * 4;

export function cascadedAttentionSeed(n: Node, api: PlannerApi): Seed | undefined {
  if (!isOp(n, CascadedAttention)) return undefined;
  const x = n.inputs[0]!;
  const [b, c, h, w] = shapeOf(x) as [number, number, number, number];
  const out = shapeOf(n.outputs[0]!);
  const side = shapeOf(n.inputs[3]!)[2]!;
  const packed = packParams(n, api, ['w_qkv', 'b_qkv', 'w_dw', 'b_dw', 'bias', 'w_proj', 'b_proj'], [
    undefined,
    undefined,
    tapMajor(n.attrs.heads, n.attrs.key_dim, side),
    undefined,
    paddedRows(n.attrs.heads, h * w, cascadedBiasStride(h * w)),
  ]);
  const [wQkv, bQkv, wDw, bDw, bias, wProj, bProj] = packed.offsets as [number, number, number, number, number, number, number];
  const layout: CascadedParamLayout = { wQkv, bQkv, wDw, bDw, bias, wProj, bProj };
  const perWindow = cascadedScratchLayout(c, n.attrs.heads, n.attrs.key_dim, h * w).total;
  const scratch = api.scratch(b * perWindow);
  return {
    label: 'cascaded_attention',
    node: n,
    space: out,
    chain: [],
    operands: [api.locOf(x), packed.loc, scratch],
    epilogue: ACC,
    fusesEpilogue: true,
    make: (epilogue, operands, output) => ({
      kind: 'cascaded_attention',
      batch: b,
      channels: c,
      outChannels: out[1]!,
      height: h,
      width: w,
      heads: n.attrs.heads,
      keyDim: n.attrs.key_dim,
      valueDim: c / n.attrs.heads,
      kernels: n.attrs.kernels,
      kernelSide: side,
      scale: n.attrs.scale,
      activation: n.attrs.activation === 'relu' ? 'relu' : 'none',
      layout,
      scratchPerWindow: perWindow,
      x: 0,
      params: 1,
      scratch: 2,
      operands,
      epilogue,
      output: { view: output },
    }),
  };
}

export function dwPointwiseSeed(n: Node, api: PlannerApi): Seed | undefined {
  if (!isOp(n, DwPointwiseConv)) return undefined;
  const x = n.inputs[0]!;
  const xs = shapeOf(x);
  const out = shapeOf(n.outputs[0]!);
  const r = xs.length - 2;
  const [b, c] = [xs[0]!, xs[1]!];
  const inSize = lift2d(xs.slice(2), 1);
  const outSize = lift2d(out.slice(2), 1);
  const kernel = lift2d(shapeOf(n.inputs[1]!).slice(2), 1);
  const [top, left] = lift2d(n.attrs.pads.slice(0, r), 0);
  const [bottom, right] = lift2d(n.attrs.pads.slice(r), 0);
  const xl = api.locOf(x);
  const padded = pad(reshape(xl.view, [b, c, ...inSize]), [0, 0, top, left], [0, 0, bottom, right]);
  const packed = packParams(n, api, ['w_dw', 'b_dw', 'w_pw', 'b_pw']);
  const [wDw, bDw, wPw, bPw] = packed.offsets as [number, number, number, number];
  const space = [b, out[1]!, ...outSize];
  return {
    label: 'dw_pointwise',
    node: n,
    space,
    chain: r === 1 ? [{ kind: 'reshape', from: space, to: out }] : [],
    operands: [{ buffer: xl.buffer, view: padded }, packed.loc],
    epilogue: ACC,
    fusesEpilogue: true,
    make: (epilogue, operands, output) => ({
      kind: 'dw_pointwise',
      batch: b,
      channels: c,
      outChannels: out[1]!,
      outSize,
      kernel,
      strides: lift2d(n.attrs.strides, 1),
      dilations: lift2d(n.attrs.dilations, 1),
      layout: { wDw, bDw, wPw, bPw },
      x: 0,
      params: 1,
      operands,
      epilogue,
      output: { view: output },
    }),
  };
}
