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
 * Returns the buffer and each operand's element offset in it.
 */
function packParams(n: Node, api: PlannerApi, names: readonly string[]): { loc: Loc; offsets: number[] } {
  const tensors = n.inputs.slice(1).map((v, i) => {
    const t = api.constantOf(v);
    if (!t) throw new VitcError(`'${n.op.name}' with a non-constant ${names[i]} has no WebGPU lowering`);
    return t;
  });
  const offsets: number[] = [];
  let total = 0;
  for (const t of tensors) {
    offsets.push(total);
    total += t.size;
  }
  const data = new Float32Array(total);
  tensors.forEach((t, i) => {
    for (let e = 0; e < t.size; e++) data[offsets[i]! + e] = t.get(e);
  });
  return { loc: api.bake(new Tensor('f32', [total], data), `${n.name ?? n.op.name}.params`), offsets };
}

/** Scratch floats one window needs: xin [d, N], qkv [2kd + d, N], y [C, N] (the heads' outputs). */
export function cascadedScratchLayout(channels: number, heads: number, keyDim: number, tokens: number) {
  const d = channels / heads;
  const xin = 0;
  const qkv = xin + d * tokens;
  const y = qkv + (2 * keyDim + d) * tokens;
  return { xin, qkv, y, total: y + channels * tokens };
}

export function cascadedAttentionSeed(n: Node, api: PlannerApi): Seed | undefined {
  if (!isOp(n, CascadedAttention)) return undefined;
  const x = n.inputs[0]!;
  const [b, c, h, w] = shapeOf(x) as [number, number, number, number];
  const out = shapeOf(n.outputs[0]!);
  const packed = packParams(n, api, ['w_qkv', 'b_qkv', 'w_dw', 'b_dw', 'bias', 'w_proj', 'b_proj']);
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
      kernelSide: shapeOf(n.inputs[3]!)[2]!,
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
