import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { modelStats } from '../../../compiler/model-stats.js';
import { importOnnxFile } from '../../../ir/onnx/index.js';
import { FIXTURES } from '../../helpers/paths.js';
import { applyPipeline } from './apply.js';

const prep = async (file: string, p = '') => applyPipeline(await importOnnxFile(join(FIXTURES, file)), `fold-constants,canonicalize,fuse-attention${p ? `,${p}` : ''}`);

/**
 * FLOPs of one pre-norm block written out from its architecture: attention on `tin` tokens, the
 * MLP on `tout` (2 per multiply-add; layer norm 8 and softmax 5 per element, as the ops count).
 */
function blockFlops(tin: number, tout: number, c: number, heads: number, mlp: number): number {
  const d = c / heads;
  const attention = 8 * tin * c + 2 * tin * c * 3 * c + heads * tin * tin * (2 * d + 2 * d + 5) + 2 * tin * c * c;
  return attention + 8 * tout * c + 2 * tout * c * mlp + 2 * tout * mlp * c;
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

test('mnist_vit: every block counts what its architecture says; stem, blocks and head add up to the total', async () => {
  const s = modelStats(await prep('mnist_vit.onnx'));
  assert.equal(s.blocks.length, 4);
  for (const b of s.blocks) {
    assert.equal(b.tokensIn, 17);
    assert.equal(b.tokensOut, 17);
    assert.equal(b.flops, blockFlops(17, 17, 64, 4, 128), `block ${b.index}`);
  }
  // Patch embedding: a 7×7 conv to 64 channels on 16 patches; head: final norm on 17 tokens and a 64→10 linear.
  assert.equal(s.stem, 2 * 16 * 64 * 49);
  assert.equal(s.head, 8 * 17 * 64 + 2 * 64 * 10);
  assert.equal(s.stem + sum(s.blocks.map((b) => b.flops)) + s.head, s.total);
});

test('mnist_vit with ToMe: tokens per block follow r; each block pays its attention on the tokens in, its MLP on the tokens out, plus the merge', async () => {
  const s = modelStats(await prep('mnist_vit.onnx', 'tome{r=3}'));
  assert.deepEqual(s.blocks.map((b) => [b.tokensIn, b.tokensOut]), [[17, 14], [14, 11], [11, 8], [8, 5]]);
  for (const b of s.blocks) {
    const core = blockFlops(b.tokensIn, b.tokensOut, 64, 4, 128);
    const merge = b.flops - core;
    // The matching: a (T/2)×(T/2) similarity on 16-wide keys and a sort of each row dominate.
    assert.ok(merge > 0 && merge < 0.1 * core, `block ${b.index}: merge overhead ${merge} against ${core}`);
  }
  assert.equal(s.head, 8 * 5 * 64 + 2 * 64 * 10);
  assert.equal(s.stem + sum(s.blocks.map((b) => b.flops)) + s.head, s.total);
  assert.ok(s.total < 0.7 * modelStats(await prep('mnist_vit.onnx')).total, 'tome{r=3} removes over 30% of the FLOPs');
});

test('per image: a static batch of 2 counts what the symbolic-batch export counts, with and without PPT', async () => {
  for (const p of ['', 'ppt{layers=0 r=4 tau=1e-3}']) {
    const [b2, dyn] = [modelStats(await prep('vit_op17_b2.onnx', p)), modelStats(await prep('vit_op17_dyn.onnx', p))];
    assert.deepEqual(b2, dyn, p || 'no pass');
    assert.deepEqual(b2.blocks.map((b) => b.tokensOut), p ? [13, 13] : [17, 17]);
  }
});

test('a model whose blocks are not found (Swin) gets its total and a note instead of per-block figures', async () => {
  const s = modelStats(await prep('swin_op17_b1.onnx'));
  assert.deepEqual(s.blocks, []);
  assert.ok(s.total > 0);
  assert.match(s.note ?? '', /no per-block figures: .*block 0/);
});
