import type { Value } from '../../ir/graph.js';
import { Attention } from '../../ir/ops/attention.js';
import { Concat } from '../../ir/ops/concat.js';
import { Conv } from '../../ir/ops/conv.js';
import { Add } from '../../ir/ops/elementwise.js';
import { MatMul } from '../../ir/ops/matmul.js';
import { Reshape } from '../../ir/ops/reshape.js';
import { Slice } from '../../ir/ops/slice.js';
import { Transpose } from '../../ir/ops/transpose.js';
import { Tensor } from '../../ir/tensor.js';
import type { RewriteSite } from '../rewrite.js';
import type { VitAttention } from './match-vit-attention.js';

/**
 * Taps of a 3x3 neighbourhood, row-major: tap = 3·(dy + 1) + (dx + 1) for the token dy rows and
 * dx columns away from the query; 4 is the query's own token (the only tap of the 1x1 form).
 */
export const CENTRE_TAP = 4;
export const tapOffset = (tap: number): [number, number] => [Math.floor(tap / 3) - 1, (tap % 3) - 1];

/** The patch grid of a layer: `prefix` leading tokens (CLS) then side × side patches, row-major. */
export interface Grid {
  readonly prefix: number;
  readonly side: number;
}

export function gridOf(tokens: number): Grid | undefined {
  for (const prefix of [1, 0]) {
    const side = Math.round(Math.sqrt(tokens - prefix));
    if (side > 0 && side * side === tokens - prefix) return { prefix, side };
  }
  return undefined;
}

/**
 * SPViT's fold with a hard head-to-tap assignment: when head h attends only to the token at
 * tap[h], the layer's output at a patch is Σ_h (x at that token)·W_v^(h)·W_proj^(h) + biases, a
 * k×k convolution whose tap t holds Σ_{h: tap[h] = t} W_v^(h)·W_proj^(h) (value and projection
 * composed, [C, Cout] per head). Returns the conv weight [Cout, C, k, k] and bias [Cout].
 */
export function foldWeights(layer: VitAttention, taps: readonly number[], kernel: 1 | 3): { w: Float64Array; b: Float64Array } {
  const { heads: h, headDim: d, outChannels: cout } = layer;
  const c = layer.wV[0]!.length / d;
  const k2 = kernel * kernel;
  const w = new Float64Array(cout * c * k2);
  const b = Float64Array.from(layer.bP);
  for (let hh = 0; hh < h; hh++) {
    const slot = kernel === 1 ? 0 : taps[hh]!;
    const wv = layer.wV[hh]!;
    const wp = layer.wP[hh]!;
    for (let o = 0; o < cout; o++) {
      for (let ci = 0; ci < c; ci++) {
        let s = 0;
        for (let i = 0; i < d; i++) s += wv[ci * d + i]! * wp[i * cout + o]!;
        w[(o * c + ci) * k2 + slot] += s;
      }
      let sb = 0;
      for (let i = 0; i < d; i++) sb += layer.bV[hh]![i]! * wp[i * cout + o]!;
      b[o] += sb;
    }
  }
  return { w, b };
}

/**
 * Builds the replacement of the layer's output: the patches through the folded conv, the
 * prefix (CLS) tokens through the original attention with only their own queries (they have no
 * place on the grid) and the original projection, concatenated back in token order.
 */
export function buildFolded(site: RewriteSite, layer: VitAttention, grid: Grid, taps: readonly number[], kernel: 1 | 3): Value {
  const [bn, , c] = layer.x.type.shape as [number, number, number];
  const { prefix, side } = grid;
  const cout = layer.outChannels;
  const n = side * side;
  const { w, b } = foldWeights(layer, taps, kernel);
  const patches = site.add1(Slice, [layer.x], { starts: [prefix], ends: [prefix + n], axes: [1], steps: [1] });
  const chw = site.add1(Reshape, [site.add1(Transpose, [patches], { perm: [0, 2, 1] })], { shape: [bn, c, side, side] });
  const pad = kernel >> 1;
  const conv = site.add1(Conv, [chw, site.constant(Tensor.f32([cout, c, kernel, kernel], w)), site.constant(Tensor.f32([cout], b))], {
    strides: [1, 1],
    pads: [pad, pad, pad, pad],
    dilations: [1, 1],
  });
  const tokens = site.add1(Transpose, [site.add1(Reshape, [conv], { shape: [bn, cout, n] })], { perm: [0, 2, 1] });
  if (prefix === 0) return tokens;
  const [q, k, v, bias] = layer.node.inputs as [Value, Value, Value, Value | undefined];
  const qPrefix = site.add1(Slice, [q], { starts: [0], ends: [prefix], axes: [2], steps: [1] });
  const inputs = [qPrefix, k, v];
  if (bias) {
    const rows = bias.type.shape.at(-2);
    inputs.push(rows === 1 ? bias : site.add1(Slice, [bias], { starts: [0], ends: [prefix], axes: [bias.type.shape.length - 2], steps: [1] }));
  }
  const { heads: h, headDim: d } = layer;
  const attended = site.add1(Attention, inputs, { scale: (layer.node.attrs as { scale: number }).scale });
  const rows = site.add1(Reshape, [site.add1(Transpose, [attended], { perm: [0, 2, 1, 3] })], { shape: [bn, prefix, h * d] });
  const wp = new Float64Array(h * d * cout);
  for (let hh = 0; hh < h; hh++) wp.set(layer.wP[hh]!, hh * d * cout);
  const projected = site.add1(Add, [site.add1(MatMul, [rows, site.constant(Tensor.f32([h * d, cout], wp))], {}), site.constant(Tensor.f32([cout], layer.bP))], {});
  return site.add1(Concat, [projected, tokens], { axis: 1 });
}
