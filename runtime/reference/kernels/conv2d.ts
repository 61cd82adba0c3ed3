import { im2col, col2imAdd } from './im2col.js';
import { matmulSlice } from './matmul.js';
import type { Window2d } from './window2d.js';

export interface ConvShape {
  readonly batch: number;
  readonly cin: number;
  readonly cout: number;
  readonly group: number;
}

/**
 * Grouped 2-D convolution, NCHW, w = [cout, cin/group, kh, kw]: per sample and group, im2col then
 * one matmul (float64 accumulation). Returns float64 [batch, cout, oh, ow] with the bias added.
 */
export function conv2d(x: ArrayLike<number>, w: ArrayLike<number>, bias: ArrayLike<number> | undefined, s: ConvShape, g: Window2d): Float64Array {
  const cg = s.cin / s.group;
  const mg = s.cout / s.group;
  const k = cg * g.kh * g.kw;
  const p = g.oh * g.ow;
  const plane = g.ih * g.iw;
  const out = new Float64Array(s.batch * s.cout * p);
  // A 1×1, stride-1, unpadded kernel reads x as it is: no unfolding needed.
  const pointwise = g.kh === 1 && g.kw === 1 && g.sh === 1 && g.sw === 1 && g.padTop === 0 && g.padLeft === 0 && g.oh === g.ih && g.ow === g.iw;
  const col = pointwise ? undefined : new Float32Array(k * p);
  const bt = new Float64Array(k * p);
  for (let n = 0; n < s.batch; n++) {
    for (let gi = 0; gi < s.group; gi++) {
      const xOff = (n * s.cin + gi * cg) * plane;
      const outOff = (n * s.cout + gi * mg) * p;
      if (col) {
        im2col(x, xOff, cg, g, col);
        matmulSlice(w, gi * mg * k, col, 0, out, outOff, mg, k, p, bt);
      } else {
        matmulSlice(w, gi * mg * k, x, xOff, out, outOff, mg, k, p, bt);
      }
    }
  }
  if (bias) addChannelBias(out, bias, s.batch, s.cout, p);
  return out;
}

/**
 * Grouped 2-D transposed convolution, w = [cin, cout/group, kh, kw]; g.ih×g.iw is the input plane
 * and g.oh×g.ow the (larger) output plane. Per sample and group: col = wᵀ·x, then col2im.
 */
export function convTranspose2d(
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  bias: ArrayLike<number> | undefined,
  s: ConvShape,
  g: Window2d,
): Float64Array {
  const cg = s.cin / s.group;
  const mg = s.cout / s.group;
  const kk = g.kh * g.kw;
  const rows = mg * kk;
  const p = g.ih * g.iw;
  const outPlane = g.oh * g.ow;
  const out = new Float64Array(s.batch * s.cout * outPlane);
  // wᵀ per group: [mg·kh·kw, cg], transposed once up front.
  const wt = new Float32Array(s.group * rows * cg);
  for (let gi = 0; gi < s.group; gi++)
    for (let ci = 0; ci < cg; ci++) {
      const src = (gi * cg + ci) * rows;
      const dst = gi * rows * cg + ci;
      for (let r = 0; r < rows; r++) wt[dst + r * cg] = w[src + r]!;
    }
  const col = new Float64Array(rows * p);
  const bt = new Float64Array(cg * p);
  for (let n = 0; n < s.batch; n++) {
    for (let gi = 0; gi < s.group; gi++) {
      matmulSlice(wt, gi * rows * cg, x, (n * s.cin + gi * cg) * p, col, 0, rows, cg, p, bt);
      col2imAdd(col, mg, g, out, (n * s.cout + gi * mg) * outPlane);
    }
  }
  if (bias) addChannelBias(out, bias, s.batch, s.cout, outPlane);
  return out;
}

function addChannelBias(out: Float64Array, bias: ArrayLike<number>, batch: number, channels: number, plane: number): void {
  for (let n = 0; n < batch; n++)
    for (let c = 0; c < channels; c++) {
      const b = bias[c]!;
      const off = (n * channels + c) * plane;
      for (let i = 0; i < plane; i++) out[off + i]! += b;
    }
}
