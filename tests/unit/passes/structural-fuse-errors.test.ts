import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { VitcError } from '../../../ir/errors.js';
import { importOnnxFile } from '../../../ir/onnx/import.js';
import { parseGraph } from '../../../ir/text/index.js';
import { FIXTURES, repoPath } from '../../helpers/paths.js';
import { applyPipeline } from './apply.js';

/* sandwich-fuse{strict} and lowtention-fuse{strict} on models without the pattern: one clear error. */

test('sandwich-fuse{strict} on a model without cascaded group attention says so', () => {
  const g = importOnnxFile(join(FIXTURES, 'lowformer_b1.onnx'));
  assert.throws(
    () => applyPipeline(g, 'infer-shapes{batch=1},sandwich-fuse{strict}'),
    (e: unknown) => e instanceof VitcError && /sandwich-fuse\{strict\}.*no cascaded group attention found/.test(e.message),
  );
  // Without strict the pass only folds BatchNorm.
  const remarks: string[] = [];
  const out = applyPipeline(g, 'infer-shapes{batch=1},sandwich-fuse', remarks);
  assert.ok(!out.nodes.some((n) => n.op.name === 'cascaded_attention'));
});

test('sandwich-fuse{strict} names each candidate that did not match and why', () => {
  // The golden cascaded group attention with head 1's softmax over the queries instead of the keys.
  const text = readFileSync(repoPath('tests', 'golden', 'sandwich-fuse', 'cga.vir'), 'utf8');
  const broken = text.replace('softmax(%42) {axis = 2}', 'softmax(%42) {axis = 1}');
  assert.notEqual(broken, text);
  assert.throws(
    () => applyPipeline(parseGraph(broken, { file: 'cga-broken.vir' }), 'sandwich-fuse{strict}'),
    (e: unknown) => e instanceof VitcError && /no cascaded group attention matched: \/out\/out\.1\/out\.1\.0\/Conv: head 1: the softmax is not over the keys/.test(e.message),
  );
  // The intact one matches.
  assert.ok(applyPipeline(parseGraph(text), 'sandwich-fuse{strict}').nodes.some((n) => n.op.name === 'cascaded_attention'));
});

test('lowtention-fuse{strict} on a model without lowtention says so', () => {
  const g = importOnnxFile(join(FIXTURES, 'mnist_vit.onnx'));
  assert.throws(
    () => applyPipeline(g, 'infer-shapes{batch=1},lowtention-fuse{strict}'),
    (e: unknown) => e instanceof VitcError && /lowtention-fuse\{strict\}.*no lowtention found/.test(e.message),
  );
});
