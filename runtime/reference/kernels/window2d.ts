/**
 * Geometry of a 2-D sliding window (convolution, pooling) over an ih×iw plane. 1-D windows are
 * expressed with ih = kh = oh = 1. Window (oy, ox) covers input rows oy*sh - padTop + ky*dh.
 */
export interface Window2d {
  readonly ih: number;
  readonly iw: number;
  readonly kh: number;
  readonly kw: number;
  readonly sh: number;
  readonly sw: number;
  readonly dh: number;
  readonly dw: number;
  readonly padTop: number;
  readonly padLeft: number;
  /** Padding after the input, used by pooling to clip windows (count_include_pad). */
  readonly padBottom: number;
  readonly padRight: number;
  readonly oh: number;
  readonly ow: number;
}
