import type { EExpr } from './expr.js';
import type { Operand, Output } from './types.js';

/**
 * Workloads of the structural passes (sandwich-fuse, lowtention-fuse) and of transposed
 * convolution. Same conventions as types.ts: operands are numbered, epilogue operands and the
 * output are viewed over the workload's output index space, and the canonical JSON is the key.
 */

/**
 * Transposed convolution, one output element per invocation, over [B, Cout, OH, OW] (1-D
 * convolutions are lifted to H = 1). `x` is viewed as [B, Cin, IH, IW], `w` as
 * [Cin, Cout/group, KH, KW]. Output row oy reads full-output row Y = oy + padBegin[0]: so ONNX
 * pads and a crop (slice) of the output are the same thing. The bias is part of the epilogue.
 */
export interface ConvTransposeWorkload {
  readonly kind: 'conv_transpose';
  readonly batch: number;
  readonly cin: number;
  readonly cout: number;
  readonly group: number;
  readonly inSize: readonly [number, number];
  readonly outSize: readonly [number, number];
  readonly kernel: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly dilations: readonly [number, number];
  readonly padBegin: readonly [number, number];
  readonly x: number;
  readonly w: number;
  readonly operands: readonly Operand[];
  readonly epilogue: EExpr;
  readonly output: Output;
}

/**
 * Where each parameter of a cascaded group attention sits in its one packed weight buffer
 * (element offsets, each a multiple of 4; row-major within each block).
 */
export interface CascadedParamLayout {
  /** [heads, 2·keyDim + valueDim, valueDim]: rows q, k, v. */
  readonly wQkv: number;
  /** [heads, 2·keyDim + valueDim] */
  readonly bQkv: number;
  /** [heads, K·K, keyDim] (tap-major), K the largest kernel; a head's smaller kernel is centred. */
  readonly wDw: number;
  /** [heads, keyDim] */
  readonly bDw: number;
  /** [heads, N, S]: rows padded to S = N rounded up to 4 keys (cascadedBiasStride) of -3e38. */
  readonly bias: number;
  /** [outChannels, heads·valueDim] */
  readonly wProj: number;
  /** [outChannels] */
  readonly bProj: number;
}

/**
 * EfficientViT's cascaded group attention for one window per workgroup, every head in sequence
 * inside the kernel (head j reads head j-1's output), then the output projection:
 *   Xt_j = X_j (+ Y_{j-1});  q, k, v = W_j Xt_j + b_j;  q = dw_{k_j}(q) + bdw_j;
 *   Y_j = v · softmax(qᵀk · scale + Bias_j)ᵀ;  out = epilogue(Wp · act(concat Y_j) + bp)
 * `x` is viewed as [batch, channels, H, W] (window partitions are views); `params` is one packed
 * weight buffer (`layout`); `scratch` is a read-write buffer of `scratchPerWindow` floats per
 * window for the per-head intermediates. The output space is [batch, outChannels, H, W].
 */
export interface CascadedAttentionWorkload {
  readonly kind: 'cascaded_attention';
  readonly batch: number;
  readonly channels: number;
  readonly outChannels: number;
  readonly height: number;
  readonly width: number;
  readonly heads: number;
  readonly keyDim: number;
  readonly valueDim: number;
  /** Depthwise kernel size per head (odd). */
  readonly kernels: readonly number[];
  /** Side of the packed depthwise weights (the largest kernel). */
  readonly kernelSide: number;
  readonly scale: number;
  readonly activation: 'relu' | 'none';
  readonly layout: CascadedParamLayout;
  readonly scratchPerWindow: number;
  readonly x: number;
  readonly params: number;
  readonly scratch: number;
  readonly operands: readonly Operand[];
  readonly epilogue: EExpr;
  readonly output: Output;
}

/**
 * A depthwise convolution followed by a 1x1 convolution in one kernel (lowtention's stride-s
 * reduction and QKV projection): a workgroup computes the depthwise result of a tile of output
 * positions for every channel into workgroup memory, then every 1x1 output for them, so the
 * depthwise result never goes to memory. `x` is viewed zero-padded, as
 * [B, C, IH + pad top + pad bottom, IW + pad left + pad right]; `params` is one packed weight
 * buffer: wDw [C, KH·KW], bDw [C], wPw [O, C], bPw [O]. Output space [B, O, OH, OW].
 */
export interface DwPointwiseWorkload {
  readonly kind: 'dw_pointwise';
  readonly batch: number;
  readonly channels: number;
  readonly outChannels: number;
  readonly outSize: readonly [number, number];
  readonly kernel: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly dilations: readonly [number, number];
  readonly layout: { readonly wDw: number; readonly bDw: number; readonly wPw: number; readonly bPw: number };
  readonly x: number;
  readonly params: number;
  readonly operands: readonly Operand[];
  readonly epilogue: EExpr;
  readonly output: Output;
}

export type StructuralWorkload = ConvTransposeWorkload | CascadedAttentionWorkload | DwPointwiseWorkload;
