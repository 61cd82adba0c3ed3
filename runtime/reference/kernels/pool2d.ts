import type { Window2d } from './window2d.js';

/**
 * Max over each (dilated) window of `planes` ih×iw planes; padding never wins.
 * Returns [planes, oh, ow] as float64.
 */
export function maxPool2d(x: ArrayLike<number>, planes: number, g: Window2d): Float64Array {
  const { ih, iw, kh, kw, sh, sw, dh, dw, padTop, padLeft, oh, ow } = g;
  const out = new Float64Array(planes * oh * ow);
  let o = 0;
  for (let c = 0; c < planes; c++) {
    const base = c * ih * iw;
    for (let oy = 0; oy < oh; oy++) {
      const y0 = oy * sh - padTop;
      for (let ox = 0; ox < ow; ox++) {
        const x0 = ox * sw - padLeft;
        let m = -Infinity;
        for (let ky = 0; ky < kh; ky++) {
          const y = y0 + ky * dh;
          if (y < 0 || y >= ih) continue;
          const row = base + y * iw;
          for (let kx = 0; kx < kw; kx++) {
            const xx = x0 + kx * dw;
            if (xx < 0 || xx >= iw) continue;
            const v = x[row + xx]!;
            if (v > m || v !== v) m = v;
          }
        }
        out[o++] = m;
      }
    }
  }
  return out;
}

/**
 * Mean over each window of `planes` ih×iw planes (float64 sums). The divisor counts the window's
 * cells inside the input, or with countIncludePad also those in the declared padding — but never
 * cells past the end padding that ceil_mode's last window reaches (as ONNX Runtime and PyTorch do).
 */
export function avgPool2d(x: ArrayLike<number>, planes: number, g: Window2d, countIncludePad: boolean): Float64Array {
  const { ih, iw, kh, kw, sh, sw, padTop, padLeft, padBottom, padRight, oh, ow } = g;
  const out = new Float64Array(planes * oh * ow);
  let o = 0;
  for (let c = 0; c < planes; c++) {
    const base = c * ih * iw;
    for (let oy = 0; oy < oh; oy++) {
      const yStart = oy * sh - padTop;
      const yEnd = Math.min(yStart + kh, ih + padBottom);
      const y0 = Math.max(yStart, 0);
      const y1 = Math.min(yEnd, ih);
      for (let ox = 0; ox < ow; ox++) {
        const xStart = ox * sw - padLeft;
        const xEnd = Math.min(xStart + kw, iw + padRight);
        const x0 = Math.max(xStart, 0);
        const x1 = Math.min(xEnd, iw);
        let s = 0;
        for (let y = y0; y < y1; y++) {
          const row = base + y * iw;
          for (let xx = x0; xx < x1; xx++) s += x[row + xx]!;
        }
        const count = countIncludePad ? (yEnd - yStart) * (xEnd - xStart) : (y1 - y0) * (x1 - x0);
        out[o++] = s / count;
      }
    }
  }
  return out;
}
