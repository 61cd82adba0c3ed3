/**
 * Normalisation kernels. Statistics are float64 and two-pass (mean, then mean of squared
 * deviations), so large means do not cancel the variance away.
 */

/** 1/sqrt(var + eps) of x[off, off + len) around `mean`. */
function invStd(x: ArrayLike<number>, off: number, len: number, mean: number, eps: number): number {
  let ss = 0;
  for (let i = off; i < off + len; i++) {
    const d = x[i]! - mean;
    ss += d * d;
  }
  return 1 / Math.sqrt(ss / len + eps);
}

function mean(x: ArrayLike<number>, off: number, len: number): number {
  let s = 0;
  for (let i = off; i < off + len; i++) s += x[i]!;
  return s / len;
}

/**
 * Layer norm over rows of length `d`: y = (x − mean)·rstd·scale[sOff[j]] + bias[bOff[j]], where
 * sOff/bOff map a row position to the (possibly broadcast) scale and bias element.
 */
export function layerNormRows(
  x: ArrayLike<number>,
  rows: number,
  d: number,
  scale: ArrayLike<number>,
  sOff: Int32Array,
  bias: ArrayLike<number> | undefined,
  bOff: Int32Array | undefined,
  eps: number,
): Float64Array {
  const out = new Float64Array(rows * d);
  for (let r = 0; r < rows; r++) {
    const off = r * d;
    const m = mean(x, off, d);
    const rs = invStd(x, off, d, m, eps);
    for (let j = 0; j < d; j++) out[off + j] = (x[off + j]! - m) * rs * scale[sOff[j]!]!;
    if (bias && bOff) for (let j = 0; j < d; j++) out[off + j]! += bias[bOff[j]!]!;
  }
  return out;
}

/**
 * Per-sample normalisation over channel groups × spatial positions (group norm; instance norm is
 * groups = channels), x = [batch, channels, spatial]; scale and bias are per channel.
 */
export function groupNorm(
  x: ArrayLike<number>,
  batch: number,
  channels: number,
  spatial: number,
  groups: number,
  scale: ArrayLike<number>,
  bias: ArrayLike<number>,
  eps: number,
): Float64Array {
  const out = new Float64Array(batch * channels * spatial);
  const cg = channels / groups;
  const len = cg * spatial;
  for (let n = 0; n < batch; n++)
    for (let g = 0; g < groups; g++) {
      const off = (n * channels + g * cg) * spatial;
      const m = mean(x, off, len);
      const rs = invStd(x, off, len, m, eps);
      for (let c = 0; c < cg; c++) {
        const ch = g * cg + c;
        const k = rs * scale[ch]!;
        const b = bias[ch]!;
        const base = off + c * spatial;
        for (let i = base; i < base + spatial; i++) out[i] = (x[i]! - m) * k + b;
      }
    }
  return out;
}

/** Inference batch norm on x = [batch, channels, spatial] with per-channel statistics. */
export function batchNorm(
  x: ArrayLike<number>,
  batch: number,
  channels: number,
  spatial: number,
  scale: ArrayLike<number>,
  bias: ArrayLike<number>,
  mean: ArrayLike<number>,
  variance: ArrayLike<number>,
  eps: number,
): Float64Array {
  const out = new Float64Array(batch * channels * spatial);
  for (let c = 0; c < channels; c++) {
    const k = scale[c]! / Math.sqrt(variance[c]! + eps);
    const m = mean[c]!;
    const b = bias[c]!;
    for (let n = 0; n < batch; n++) {
      const base = (n * channels + c) * spatial;
      for (let i = base; i < base + spatial; i++) out[i] = (x[i]! - m) * k + b;
    }
  }
  return out;
}
