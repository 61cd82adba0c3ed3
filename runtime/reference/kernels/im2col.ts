import type { Window2d } from './window2d.js';

/**
 * Unfolds `channels` planes of x (starting at xOff) into col[channels·kh·kw, oh·ow]:
 * col[(c·kh + ky)·kw + kx][oy·ow + ox] = x[c][oy·sh − padTop + ky·dh][ox·sw − padLeft + kx·dw], 0 outside.
 * A convolution is then one matmul of the weights against col.
 */
export function im2col(x: ArrayLike<number>, xOff: number, channels: number, g: Window2d, col: Float32Array): void {
  const { ih, iw, kh, kw, sh, sw, dh, dw, padTop, padLeft, oh, ow } = g;
  const plane = ih * iw;
  const p = oh * ow;
  let row = 0;
  for (let c = 0; c < channels; c++) {
    const xc = xOff + c * plane;
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++, row++) {
        const shift = kx * dw - padLeft;
        // Output columns whose input column ox·sw + shift lies inside [0, iw).
        const lo = Math.min(ow, Math.max(0, Math.ceil(-shift / sw)));
        const hi = Math.max(lo, Math.min(ow, Math.floor((iw - 1 - shift) / sw) + 1));
        const rowBase = row * p;
        for (let oy = 0; oy < oh; oy++) {
          const o = rowBase + oy * ow;
          const iy = oy * sh - padTop + ky * dh;
          if (iy < 0 || iy >= ih) {
            col.fill(0, o, o + ow);
            continue;
          }
          const src = xc + iy * iw + shift;
          for (let ox = 0; ox < lo; ox++) col[o + ox] = 0;
          for (let ox = lo; ox < hi; ox++) col[o + ox] = x[src + ox * sw]!;
          for (let ox = hi; ox < ow; ox++) col[o + ox] = 0;
        }
      }
    }
  }
}

/**
 * The adjoint of im2col: folds col[channels·kh·kw, ih·iw] back onto out[channels][oh][ow], adding
 * col[(c·kh + ky)·kw + kx][iy·iw + ix] at (iy·sh − padTop + ky·dh, ix·sw − padLeft + kx·dw).
 * Used by the transposed convolution, whose "input" plane is the small ih×iw one.
 */
export function col2imAdd(col: ArrayLike<number>, channels: number, g: Window2d, out: Float64Array, outOff: number): void {
  const { ih, iw, kh, kw, sh, sw, dh, dw, padTop, padLeft, oh, ow } = g;
  const plane = oh * ow;
  const p = ih * iw;
  let row = 0;
  for (let c = 0; c < channels; c++) {
    const oc = outOff + c * plane;
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++, row++) {
        const shift = kx * dw - padLeft;
        const lo = Math.min(iw, Math.max(0, Math.ceil(-shift / sw)));
        const hi = Math.max(lo, Math.min(iw, Math.floor((ow - 1 - shift) / sw) + 1));
        const rowBase = row * p;
        for (let iy = 0; iy < ih; iy++) {
          const oy = iy * sh - padTop + ky * dh;
          if (oy < 0 || oy >= oh) continue;
          const dst = oc + oy * ow + shift;
          const src = rowBase + iy * iw;
          for (let ix = lo; ix < hi; ix++) out[dst + ix * sw]! += col[src + ix]!;
        }
      }
    }
  }
}
