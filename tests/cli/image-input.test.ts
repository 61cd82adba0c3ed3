import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { decodeImage, decodeImageFile, type RgbaImage } from '../../compiler/cli/image-decode.js';
import { IMAGENET_MEAN, IMAGENET_STD, imageInputGeometry, imageToTensor, resize } from '../../compiler/cli/image-tensor.js';
import { topK } from '../../compiler/cli/top-classes.js';
import { VitcError } from '../../ir/errors.js';
import { readNpy } from '../../runtime/npy.js';
import { repoPath } from '../helpers/paths.js';

/** Images and Pillow's results from tests/cli/data/make_data.py. */
const data = (name: string) => repoPath('tests', 'cli', 'data', 'image', name);

function plane(img: RgbaImage, c: number): Float32Array {
  return Float32Array.from({ length: img.width * img.height }, (_, i) => img.data[4 * i + c]!);
}

function rejectsImage(bytes: Buffer, re: RegExp): void {
  assert.throws(
    () => decodeImage(bytes, 'pic.png'),
    (e: unknown) => e instanceof VitcError && e.message.startsWith('pic.png: ') && !e.message.includes('\n') && re.test(e.message),
  );
}

test('PNG decoding gives the pixels the file was made from (RGB and grey)', () => {
  // smooth.png: R = 8x, G = 10y, B = 4(x + y) over 32×24.
  const rgb = decodeImageFile(data('smooth.png'));
  const grey = decodeImageFile(data('smooth_gray.png'));
  assert.deepEqual([rgb.width, rgb.height, grey.width, grey.height], [32, 24, 32, 24]);
  for (let y = 0; y < 24; y++)
    for (let x = 0; x < 32; x++) {
      const i = 4 * (y * 32 + x);
      assert.deepEqual([...rgb.data.subarray(i, i + 4)], [8 * x, 10 * y, 4 * (x + y), 255]);
      assert.deepEqual([...grey.data.subarray(i, i + 4)], [10 * y, 10 * y, 10 * y, 255]);
    }
});

test('JPEG decoding is close to the lossless original', () => {
  const png = decodeImageFile(data('smooth.png'));
  const jpg = decodeImageFile(data('smooth.jpg'));
  assert.deepEqual([jpg.width, jpg.height], [32, 24]);
  let sum = 0;
  let max = 0;
  for (let i = 0; i < png.data.length; i++) {
    const d = Math.abs(png.data[i]! - jpg.data[i]!);
    sum += d;
    max = Math.max(max, d);
  }
  assert.ok(sum / png.data.length < 2 && max <= 16, `mean ${sum / png.data.length}, max ${max}`);
});

test("resizing matches Pillow's BILINEAR resize, shrinking and enlarging", () => {
  const img = decodeImageFile(data('r.png'));
  assert.deepEqual([img.width, img.height], [53, 37]);
  for (const [file, w, h] of [['r_down_16x12.npy', 16, 12], ['r_up_60x40.npy', 60, 40]] as const) {
    const want = readNpy(readFileSync(data(file)));
    assert.deepEqual(want.shape, [3, h, w]);
    for (let c = 0; c < 3; c++) {
      const got = resize(plane(img, c), img.width, img.height, w, h);
      for (let i = 0; i < w * h; i++) assert.ok(Math.abs(got[i]! - want.data[c * w * h + i]!) <= 1e-3, `${file} channel ${c} pixel ${i}: ${got[i]} vs ${want.data[c * w * h + i]}`);
    }
  }
});

test('resizing to the same size is the identity', () => {
  const img = decodeImageFile(data('r.png'));
  const p = plane(img, 1);
  assert.deepEqual([...resize(p, 53, 37, 53, 37)], [...p]);
});

test('3-channel inputs: alpha over black, then ImageNet mean and std; 1-channel: luma / 255', () => {
  // rgba.png: every pixel (200, 100, 50) with alphas [[255, 128, 0], [64, 255, 1]].
  const img = decodeImageFile(data('rgba.png'));
  const alpha = [255, 128, 0, 64, 255, 1];
  const rgb = [200, 100, 50];
  const t3 = imageToTensor(img, 3, 2, 3);
  assert.deepEqual(t3.shape, [1, 3, 2, 3]);
  const t1 = imageToTensor(img, 1, 2, 3);
  assert.deepEqual(t1.shape, [1, 1, 2, 3]);
  for (let i = 0; i < 6; i++) {
    const seen = rgb.map((v) => (v * alpha[i]!) / 255);
    for (let c = 0; c < 3; c++) assert.ok(Math.abs(t3.data[c * 6 + i]! - (seen[c]! / 255 - IMAGENET_MEAN[c]!) / IMAGENET_STD[c]!) < 1e-5);
    assert.ok(Math.abs(t1.data[i]! - (0.299 * seen[0]! + 0.587 * seen[1]! + 0.114 * seen[2]!) / 255) < 1e-6);
  }
});

test('image geometry comes from an [N, 1|3, H, W] input; anything else is refused', () => {
  assert.deepEqual(imageInputGeometry('x', [1, 3, 224, 224]), { channels: 3, height: 224, width: 224 });
  assert.deepEqual(imageInputGeometry('x', [1, 1, 28, 20]), { channels: 1, height: 28, width: 20 });
  for (const shape of [[1, 4, 8, 8], [1, 3, 8], [1, 8, 8, 3]])
    assert.throws(() => imageInputGeometry('x', shape), /--image: needs a model input of shape \[N, 1 or 3, H, W\]; input 'x' is/);
});

test('broken and foreign files fail with one line naming the file', () => {
  const png = readFileSync(data('r.png'));
  const jpg = readFileSync(data('smooth.jpg'));
  rejectsImage(png.subarray(0, 60), /cannot decode image/);
  rejectsImage(jpg.subarray(0, 40), /cannot decode image/);
  rejectsImage(Buffer.from('GIF89a......'), /not a PNG or JPEG image/);
  rejectsImage(Buffer.alloc(0), /not a PNG or JPEG image/);
  assert.throws(() => decodeImageFile(data('missing.png')), /missing\.png: cannot read image: ENOENT/);
});

test('topK orders by logit (ties by index) with softmax probabilities', () => {
  const top = topK([1, 3, 3, -1, 0, 2], 4);
  assert.deepEqual(top.map((c) => c.index), [1, 2, 5, 0]);
  const z = [1, 3, 3, -1, 0, 2].reduce((s, l) => s + Math.exp(l), 0);
  top.forEach((c) => assert.ok(Math.abs(c.probability - Math.exp(c.logit) / z) < 1e-12));
  assert.equal(topK([5, 4], 5).length, 2);
});
