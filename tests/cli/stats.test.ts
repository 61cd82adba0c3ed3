import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { modelStats } from '../../compiler/model-stats.js';
import { runPipeline } from '../../compiler/pass-manager.js';
import { parsePipeline } from '../../compiler/pipeline.js';
import { importOnnxFile } from '../../ir/onnx/index.js';
import { FIXTURES } from '../helpers/paths.js';
import { assertOneLineError, vitc } from './vitc-process.js';

const MODEL = join(FIXTURES, 'mnist_vit.onnx');
const statsAfter = (p: string) => modelStats(runPipeline(importOnnxFile(MODEL), parsePipeline(`fold-constants,canonicalize,fuse-attention${p ? `,${p}` : ''}`)).graph);
const mflops = (f: number) => (f / 1e6).toFixed(3);

test('vitc stats -p prints tokens and FLOPs per block and the totals, before and after the pipeline', async () => {
  const r = await vitc('stats', MODEL, '-p', 'tome{r=3}');
  assert.equal(r.code, 0, r.stderr);
  const [before, after] = [statsAfter(''), statsAfter('tome{r=3}')];
  const line = (label: string) => r.stdout.split('\n').find((l) => l.startsWith(label))?.trim().split(/\s+/).slice(label.split(' ').length);
  assert.deepEqual(line('block 0'), ['17', mflops(before.blocks[0]!.flops), '17→14', mflops(after.blocks[0]!.flops), `${(100 * (after.blocks[0]!.flops / before.blocks[0]!.flops - 1)).toFixed(1)}%`]);
  assert.deepEqual(line('block 3')?.slice(0, 3), ['17', mflops(before.blocks[3]!.flops), '8→5']);
  assert.deepEqual(line('total'), [mflops(before.total), mflops(after.total), `${(100 * (after.total / before.total - 1)).toFixed(1)}%`]);
  assert.match(r.stdout, /^pipeline: tome\{r=3\}$/m);
});

test('vitc stats without -p prints the model alone; --json gives the same figures', async () => {
  const r = await vitc('stats', MODEL);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stdout, /MFLOPs after|^pipeline:/m);
  assert.match(r.stdout, new RegExp(`^block 2\\s+17\\s+${mflops(statsAfter('').blocks[2]!.flops)}$`, 'm'));
  const j = await vitc('stats', MODEL, '-p', 'ppt{layers=1 r=4}', '--json');
  assert.equal(j.code, 0, j.stderr);
  const parsed = JSON.parse(j.stdout) as { before: unknown; after: unknown };
  assert.deepEqual(parsed.after, JSON.parse(JSON.stringify(statsAfter('ppt{layers=1 r=4}'))));
  assert.deepEqual(parsed.before, JSON.parse(JSON.stringify(statsAfter(''))));
});

test('vitc stats: an r too large for the model is one clear error line', async () => {
  const r = await vitc('stats', MODEL, '-p', 'tome{r=9}');
  assertOneLineError(r, 2, /in pass 'tome\{r=9\}': tome: r=9 is too large for block 0, which has 17 tokens: at most 8 can merge/, 'tome{r=9}');
});
