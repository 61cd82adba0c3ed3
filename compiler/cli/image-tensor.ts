import type { Dim } from '../../ir/dim.js';
import { VitcError } from '../../ir/errors.js';
import { Tensor } from '../../ir/tensor.js';
import type { RgbaImage } from './image-decode.js';

/**
 * How `--image` turns pixels into a model input [1, C, H, W]:
 * - alpha is composited over black;
 * - the image is scaled to W×H (each axis on its own, no crop) with a triangle filter whose
 *   support widens when shrinking, so downscaling averages every source pixel;
 * - C = 3: RGB scaled to [0, 1], then normalised with the ImageNet mean (0.485, 0.456, 0.406)
 *   and standard deviation (0.229, 0.224, 0.225), as torchvision's classifiers expect;
 * - C = 1: grey = 0.299 R + 0.587 G + 0.114 B, divided by 255 (MNIST's convention: white digit
 *   on black is 1.0 on 0.0).
 */
export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;

/** The channel count and size an image input needs, from the model input's declared shape. */
export function imageInputGeometry(name: string, shape: readonly Dim[]): { channels: 1 | 3; height: number; width: number } {
  const [, c, h, w] = shape;
  const bad = () => new VitcError(`needs a model input of shape [N, 1 or 3, H, W]; input '${name}' is [${shape.join(',')}]`, { context: '--image' });
  if (shape.length !== 4 || (c !== 1 && c !== 3) || typeof h !== 'number' || typeof w !== 'number' || h < 1 || w < 1) throw bad();
  return { channels: c, height: h, width: w };
}

/** The model input [1, C, H, W] for an image, following the convention above. */
export function imageToTensor(img: RgbaImage, channels: 1 | 3, height: number, width: number): Tensor {
  const planes = rgbPlanes(img);
  const scaled = planes.map((p) => resize(p, img.width, img.height, width, height));
  const hw = height * width;
  const out = new Float32Array(channels * hw);
  if (channels === 3) {
    for (let c = 0; c < 3; c++) for (let i = 0; i < hw; i++) out[c * hw + i] = (scaled[c]![i]! / 255 - IMAGENET_MEAN[c]!) / IMAGENET_STD[c]!;
  } else {
    for (let i = 0; i < hw; i++) out[i] = (0.299 * scaled[0]![i]! + 0.587 * scaled[1]![i]! + 0.114 * scaled[2]![i]!) / 255;
  }
  return new Tensor('f32', [1, channels, height, width], out);
}

/** R, G, B planes in [0, 255] with alpha composited over black. */
function rgbPlanes(img: RgbaImage): Float32Array[] {
  const n = img.width * img.height;
  const planes = [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
  for (let i = 0; i < n; i++) {
    const a = img.data[4 * i + 3]! / 255;
    for (let c = 0; c < 3; c++) planes[c]![i] = img.data[4 * i + c]! * a;
  }
  return planes;
}

/** Separable resize with a triangle (bilinear) filter, widened by the scale factor when shrinking. */
export function resize(src: Float32Array, sw: number, sh: number, dw: number, dh: number): Float32Array {
  const rows = resizeAxis(src, sw, sh, dw, true);
  return resizeAxis(rows, dw, sh, dh, false);
}

/** Resizes along x (horizontal) or y of a w×h plane to `d` samples on that axis. */
function resizeAxis(src: Float32Array, w: number, h: number, d: number, horizontal: boolean): Float32Array {
  const n = horizontal ? w : h;
  const weights = filterWeights(n, d);
  const out = new Float32Array(horizontal ? d * h : w * d);
  const lines = horizontal ? h : w;
  for (let line = 0; line < lines; line++) {
    for (let j = 0; j < d; j++) {
      const { start, values } = weights[j]!;
      let acc = 0;
      for (let k = 0; k < values.length; k++) {
        const i = start + k;
        acc += values[k]! * (horizontal ? src[line * w + i]! : src[i * w + line]!);
      }
      if (horizontal) out[line * d + j] = acc;
      else out[j * w + line] = acc;
    }
  }
  return out;
}

/** For each of `d` output samples over `n` input samples: the first input index and normalised weights. */
function filterWeights(n: number, d: number): { start: number; values: Float64Array }[] {
  const scale = n / d;
  const support = Math.max(1, scale);
  const out: { start: number; values: Float64Array }[] = [];
  for (let j = 0; j < d; j++) {
    const center = (j + 0.5) * scale;
    const start = Math.max(0, Math.floor(center - support));
    const end = Math.min(n, Math.ceil(center + support));
    const values = new Float64Array(end - start);
    let sum = 0;
    for (let i = start; i < end; i++) {
      const x = Math.abs(i + 0.5 - center) / support;
      const wgt = Math.max(0, 1 - x);
      values[i - start] = wgt;
      sum += wgt;
    }
    for (let k = 0; k < values.length; k++) values[k]! /= sum;
    out.push({ start, values });
  }
  return out;
}
