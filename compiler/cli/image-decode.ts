import { readFileSync } from 'node:fs';
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import { VitcError } from '../../ir/errors.js';

/** Decoded pixels: RGBA, 8 bits per channel, row-major. */
export interface RgbaImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG_MAGIC = [0xff, 0xd8, 0xff];
/** Refuse images whose decoded pixels would take more than this (a 64-megapixel RGBA image). */
const MAX_PIXELS = 64 * 1024 * 1024;

function startsWith(bytes: Uint8Array, magic: readonly number[]): boolean {
  return bytes.length >= magic.length && magic.every((b, i) => bytes[i] === b);
}

/** Decodes a PNG or JPEG file (recognised by its content, not its name) with pngjs / jpeg-js. */
export function decodeImageFile(path: string): RgbaImage {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new VitcError(`cannot read image: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file: path });
  }
  return decodeImage(bytes, path);
}

export function decodeImage(bytes: Buffer, file: string): RgbaImage {
  const fail = (why: string): never => {
    throw new VitcError(why, { file });
  };
  let img: RgbaImage;
  try {
    if (startsWith(bytes, PNG_MAGIC)) {
      const png = pngjs.PNG.sync.read(bytes);
      img = { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
    } else if (startsWith(bytes, JPEG_MAGIC)) {
      img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_PIXELS / 1024 / 1024, maxMemoryUsageInMB: 1024 });
    } else return fail('not a PNG or JPEG image (unrecognised file signature)');
  } catch (e) {
    if (e instanceof VitcError) throw e;
    return fail(`cannot decode image: ${String(e instanceof Error ? e.message : e).split('\n')[0]}`);
  }
  if (img.width < 1 || img.height < 1) fail('the image has no pixels');
  if (img.width * img.height > MAX_PIXELS) fail(`the image is too large (${img.width}×${img.height})`);
  if (img.data.length < img.width * img.height * 4) fail('the decoder returned fewer pixels than the image size says');
  return img;
}
