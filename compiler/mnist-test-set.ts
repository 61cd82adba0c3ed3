import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { VitcError } from '../ir/errors.js';

/** The MNIST test split bundled with the fixtures: 28×28 grey bytes and one label byte per image. */
export interface MnistTestSet {
  readonly count: number;
  /** count × 784 bytes, row-major, 0 = black background. */
  readonly pixels: Uint8Array;
  readonly labels: Uint8Array;
}

export const MNIST_PIXELS = 28 * 28;

export function readMnistTestSet(dir: string): MnistTestSet {
  const read = (name: string): Buffer => {
    try {
      return readFileSync(join(dir, name));
    } catch (e) {
      throw new VitcError(`cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file: join(dir, name) });
    }
  };
  const labels = new Uint8Array(read('mnist_test_labels.u8'));
  let pixels: Uint8Array;
  try {
    pixels = new Uint8Array(gunzipSync(read('mnist_test_images.u8.gz')));
  } catch (e) {
    if (e instanceof VitcError) throw e;
    throw new VitcError(`not a gzip file: ${(e as Error).message}`, { file: join(dir, 'mnist_test_images.u8.gz') });
  }
  if (pixels.length !== labels.length * MNIST_PIXELS)
    throw new VitcError(`${pixels.length} image bytes for ${labels.length} labels (expected ${MNIST_PIXELS} per image)`, { file: dir });
  return { count: labels.length, pixels, labels };
}

/** Images [start, start + batch) as the model input [batch, 1, 28, 28] = byte / 255; rows past the end stay 0. */
export function mnistBatch(set: MnistTestSet, start: number, batch: number): Float32Array {
  const x = new Float32Array(batch * MNIST_PIXELS);
  const end = Math.min(set.count, start + batch);
  for (let i = start * MNIST_PIXELS, j = 0; i < end * MNIST_PIXELS; i++, j++) x[j] = set.pixels[i]! / 255;
  return x;
}
