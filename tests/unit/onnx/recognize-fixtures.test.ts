import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { importOnnx } from '../../../ir/onnx/import.js';
import { readOnnxFile } from '../../../ir/onnx/read-model.js';
import { FIXTURES } from '../../helpers/paths.js';
import { opCounts } from './single-op.js';

/** Counts ONNX op types in a model file, straight from the protobuf. */
function onnxOpCounts(path: string): Record<string, number> {
  const c: Record<string, number> = {};
  for (const n of readOnnxFile(path).graph.node ?? []) c[n.opType!] = (c[n.opType!] ?? 0) + 1;
  return c;
}

test('opset-13 ViT export: every decomposed LayerNorm and erf-GELU becomes a single op', () => {
  const path = join(FIXTURES, 'vit_op13_b1.onnx');
  assert.ok(existsSync(path), `missing fixture ${path}`);
  const src = onnxOpCounts(path);
  // The opset-13 export writes each LayerNorm as two ReduceMeans (mean, variance) and each GELU with one Erf.
  const lnCount = src.ReduceMean! / 2;
  assert.ok(lnCount >= 1 && Number.isInteger(lnCount), `unexpected ReduceMean count ${src.ReduceMean}`);
  assert.equal(src.LayerNormalization, undefined);
  const g = importOnnx(readOnnxFile(path));
  const ir = opCounts(g);
  assert.equal(ir.layer_norm, lnCount);
  assert.equal(ir.gelu, src.Erf);
  for (const gone of ['reduce_mean', 'erf', 'pow', 'sqrt']) assert.equal(ir[gone], undefined, `${gone} left in the graph`);

  const raw = opCounts(importOnnx(readOnnxFile(path), { recognize: false }));
  assert.equal(raw.layer_norm, undefined);
  assert.equal(raw.reduce_mean, src.ReduceMean);
  assert.equal(raw.erf, src.Erf);
});
