import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { FIXTURES } from '../helpers/paths.js';
import { checkAgainstOrt } from './onnx-check.js';

/** Every .onnx file under the fixtures folder, recursively. */
function onnxFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? onnxFiles(join(dir, e.name)) : e.name.endsWith('.onnx') ? [join(dir, e.name)] : []))
    .sort();
}

const models = onnxFiles(FIXTURES);

test('the fixtures folder has ONNX models to check', () => {
  assert.ok(models.length > 0, `no .onnx files under ${FIXTURES}`);
});

for (const path of models) {
  test(`${relative(FIXTURES, path)}: vitc's import matches onnxruntime (batch 1 and 2 when dynamic)`, async () => {
    await checkAgainstOrt(path, { batches: [1, 2], rtol: 1e-4, atol: 1e-5 });
  });
}
