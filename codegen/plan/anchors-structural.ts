import { isOp, type Node, type Value } from '../../ir/graph.js';
import { ConvTranspose } from '../../ir/ops/conv.js';
import { ACC, type EExpr } from '../workload/expr.js';
import type { PlannerApi } from './anchors.js';
import type { Chain } from './chain.js';
import { cascadedAttentionSeed, dwPointwiseSeed, lift2d } from './structural-seeds.js';
import type { Seed } from './seeds.js';
import type { Loc } from './types.js';
import { expand, reshape } from './view.js';

/**
 * Kernel seeds for transposed convolution and for the ops the structural passes raise
 * (cascaded_attention from sandwich-fuse, dw_pointwise_conv from lowtention-fuse).
 * `anchorSeed` falls back to this for ops it does not know.
 */
export function structuralSeed(n: Node, api: PlannerApi): Seed | undefined {
  if (isOp(n, ConvTranspose)) return convTransposeSeed(n, api);
  return cascadedAttentionSeed(n, api) ?? dwPointwiseSeed(n, api);
}

const shapeOf = (v: Value): number[] => v.type.shape as number[];

function convTransposeSeed(n: Node, api: PlannerApi): Seed {
  const [x, w, bias] = n.inputs as [Value, Value, Value | undefined];
  const a = n.attrs as { strides: readonly number[]; pads: readonly number[]; dilations: readonly number[]; group: number };
  const xs = shapeOf(x);
  const ws = shapeOf(w);
  const out = shapeOf(n.outputs[0]!);
  const r = xs.length - 2;
  const [b, cin] = [xs[0]!, xs[1]!];
  const cout = out[1]!;
  const inSize = lift2d(xs.slice(2), 1);
  const outSize = lift2d(out.slice(2), 1);
  const kernel = lift2d(ws.slice(2), 1);
  const space = [b, cout, ...outSize];
  const xl = api.locOf(x);
  const wl = api.locOf(w);
  const operands: Loc[] = [
    { buffer: xl.buffer, view: reshape(xl.view, [b, cin, ...inSize]) },
    { buffer: wl.buffer, view: reshape(wl.view, [ws[0]!, ws[1]!, ...kernel]) },
  ];
  let epilogue: EExpr = ACC;
  if (bias) {
    const bl = api.locOf(bias);
    operands.push({ buffer: bl.buffer, view: expand(reshape(bl.view, [1, cout, 1, 1]), space) });
    epilogue = { op: 'binary', fn: 'add', a: ACC, b: { op: 'input', index: 2 } };
  }
  const chain: Chain = r === 1 ? [{ kind: 'reshape', from: space, to: out }] : [];
  return {
    label: 'conv_transpose',
    node: n,
    space,
    chain,
    operands,
    epilogue,
    fusesEpilogue: true,
    make: (epi, ops, output) => ({
      kind: 'conv_transpose',
      batch: b,
      cin,
      cout,
      group: a.group,
      inSize,
      outSize,
      kernel,
      strides: lift2d(a.strides, 1),
      dilations: lift2d(a.dilations, 1),
      padBegin: lift2d(a.pads.slice(0, r), 0),
      x: 0,
      w: 1,
      operands: ops,
      epilogue: epi,
      output: { view: output },
    }),
  };
}
