import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Tensor } from '../../ir/tensor.js';
import { writeNpy } from '../../runtime/npy.js';
import { FIXTURES } from '../helpers/paths.js';
import { assertOneLineError, scratchDir, vitc } from './vitc-process.js';

/* `--calib FILE.npy` feeds attn-to-conv{auto}'s calibration; without it the bundled MNIST digits do. */

const dir = scratchDir();
after(() => rmSync(dir, { recursive: true, force: true }));
const MODEL = join(FIXTURES, 'mnist_vit.onnx');
const PIPELINE = 'infer-shapes{batch=1},canonicalize,fold-constants,fuse-attention,fold-constants,canonicalize,cse,dce,attn-to-conv{auto threshold=0.04 samples=5}';

test('opt --calib: attn-to-conv{auto} calibrates on the file (2 images), without it on 5 bundled digits', async () => {
  const file = join(dir, 'two.npy');
  writeFileSync(file, writeNpy(new Tensor('f32', [2, 1, 28, 28], Float32Array.from({ length: 2 * 784 }, (_, i) => (i % 13) / 13))));
  const [withFile, without] = await Promise.all([
    vitc('opt', MODEL, '-p', PIPELINE, '--calib', file, '--remarks', '-o', join(dir, 'a.vir')),
    vitc('opt', MODEL, '-p', PIPELINE, '--remarks', '-o', join(dir, 'b.vir')),
  ]);
  assert.equal(withFile.code, 0, withFile.stderr);
  assert.equal(without.code, 0, without.stderr);
  assert.match(withFile.stderr, /attention layer 0 .*locality [\d.]+ .*\(threshold 0\.04, 2 calibration batch\(es\)\)/);
  assert.match(without.stderr, /attention layer 0 .*\(threshold 0\.04, 5 calibration batch\(es\)\)/);
});

test('opt --calib with data of the wrong shape is one clear error', async () => {
  const file = join(dir, 'wrong.npy');
  writeFileSync(file, writeNpy(new Tensor('f32', [2, 3, 8, 8])));
  const r = await vitc('opt', MODEL, '-p', PIPELINE, '--calib', file, '-o', join(dir, 'c.vir'));
  assertOneLineError(r, 2, /wrong\.npy: in pass 'attn-to-conv\{auto.*\}': calibration data is f32\[2,3,8,8\], expected f32\[N,1,28,28\] for input 'x'/, 'wrong calibration shape');
});
