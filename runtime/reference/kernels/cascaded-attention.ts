/** Shapes and attributes of one cascaded group attention (see ir/ops/cascaded-attention.ts). */
export interface CascadedGeometry {
  readonly batch: number;
  readonly channels: number;
  readonly outChannels: number;
  readonly height: number;
  readonly width: number;
  readonly heads: number;
  readonly keyDim: number;
  /** Side of the packed depthwise kernels. */
  readonly kernelSide: number;
  readonly kernels: readonly number[];
  readonly scale: number;
  readonly relu: boolean;
}

export interface CascadedParams {
  readonly wQkv: ArrayLike<number>;
  readonly bQkv: ArrayLike<number>;
  readonly wDw: ArrayLike<number>;
  readonly bDw: ArrayLike<number>;
  readonly bias: ArrayLike<number>;
  readonly wProj: ArrayLike<number>;
  readonly bProj: ArrayLike<number>;
}

/**
 * EfficientViT's cascaded group attention in float64, one window at a time: every head projects
 * its channel slice plus the previous head's output to q, k, v, filters q with its depthwise
 * kernel, attends with its bias table; then ReLU (optional) and the output projection.
 */
export function cascadedAttention(x: ArrayLike<number>, g: CascadedGeometry, p: CascadedParams): Float64Array {
  const { heads, keyDim: kd, height: H, width: W, kernelSide: K } = g;
  const d = g.channels / heads;
  const n = H * W;
  const o = 2 * kd + d;
  const out = new Float64Array(g.batch * g.outChannels * n);
  const y = new Float64Array(g.channels * n);
  const xin = new Float64Array(d * n);
  const qkv = new Float64Array(o * n);
  const q = new Float64Array(kd * n);
  const row = new Float64Array(n);
  for (let b = 0; b < g.batch; b++) {
    const xb = b * g.channels * n;
    for (let j = 0; j < heads; j++) {
      for (let c = 0; c < d; c++)
        for (let t = 0; t < n; t++) xin[c * n + t] = x[xb + (j * d + c) * n + t]! + (j > 0 ? y[((j - 1) * d + c) * n + t]! : 0);
      for (let r = 0; r < o; r++)
        for (let t = 0; t < n; t++) {
          let acc = p.bQkv[j * o + r]!;
          for (let c = 0; c < d; c++) acc += p.wQkv[(j * o + r) * d + c]! * xin[c * n + t]!;
          qkv[r * n + t] = acc;
        }
      const k = g.kernels[j]!;
      const lo = (K - k) / 2;
      for (let r = 0; r < kd; r++)
        for (let py = 0; py < H; py++)
          for (let px = 0; px < W; px++) {
            let acc = p.bDw[j * kd + r]!;
            for (let ty = 0; ty < k; ty++)
              for (let tx = 0; tx < k; tx++) {
                const sy = py + ty - (k >> 1);
                const sx = px + tx - (k >> 1);
                if (sy < 0 || sy >= H || sx < 0 || sx >= W) continue;
                acc += p.wDw[((j * kd + r) * K + lo + ty) * K + lo + tx]! * qkv[r * n + sy * W + sx]!;
              }
            q[r * n + py * W + px] = acc;
          }
      for (let t = 0; t < n; t++) {
        let max = -Infinity;
        for (let m = 0; m < n; m++) {
          let s = 0;
          for (let r = 0; r < kd; r++) s += q[r * n + t]! * qkv[(kd + r) * n + m]!;
          s = s * g.scale + p.bias[(j * n + t) * n + m]!;
          row[m] = s;
          if (s > max) max = s;
        }
        let sum = 0;
        for (let m = 0; m < n; m++) sum += row[m] = Math.exp(row[m]! - max);
        for (let c = 0; c < d; c++) {
          let acc = 0;
          for (let m = 0; m < n; m++) acc += row[m]! * qkv[(2 * kd + c) * n + m]!;
          y[(j * d + c) * n + t] = acc / sum;
        }
      }
    }
    const ob = b * g.outChannels * n;
    for (let r = 0; r < g.outChannels; r++)
      for (let t = 0; t < n; t++) {
        let acc = p.bProj[r]!;
        for (let c = 0; c < g.channels; c++) {
          const v = y[c * n + t]!;
          acc += p.wProj[r * g.channels + c]! * (g.relu && v < 0 ? 0 : v);
        }
        out[ob + r * n + t] = acc;
      }
  }
  return out;
}
