import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runPipeline } from '../../compiler/pass-manager.js';
import { parsePipeline } from '../../compiler/pipeline.js';
import { parseGraph, printGraph } from '../../ir/text/index.js';
import { repoPath } from '../helpers/paths.js';
import { assertSameResults } from '../unit/passes/numerics.js';

/**
 * Golden pass tests: tests/golden/<pass>/<case>.vir starts with `// RUN: <pipeline>`; the pipeline's
 * output, printed, must equal <case>.expected.vir. Each case also runs the input and the output on
 * the reference interpreter with the same random inputs and compares the results, so an expected
 * file can only ever hold a graph that computes what its input computes.
 * VITC_UPDATE_GOLDEN=1 rewrites the expected files; review the diff before committing it.
 */
const ROOT = repoPath('tests', 'golden');
const UPDATE = process.env.VITC_UPDATE_GOLDEN === '1';
/** Golden tensors print inline up to this many elements (structural passes pack small weight tables). */
const INLINE_LIMIT = 64;

const cases = readdirSync(ROOT, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((d) =>
    readdirSync(join(ROOT, d.name))
      .filter((f) => f.endsWith('.vir') && !f.endsWith('.expected.vir'))
      .sort()
      .map((f) => join(d.name, f)),
  )
  .sort();

test('every pass has golden cases', () => {
  assert.ok(cases.length > 0);
});

for (const rel of cases) {
  test(`golden ${rel}`, () => {
    const file = join(ROOT, rel);
    const text = readFileSync(file, 'utf8');
    const run = /^\/\/ RUN: (.*)$/m.exec(text.split('\n', 1)[0]!);
    assert.ok(run, `${rel}: the first line must be '// RUN: <pipeline>'`);
    const input = parseGraph(text, { file: rel });
    const result = runPipeline(input, parsePipeline(run[1]!, `${rel}: RUN`)).graph;
    const printed = printGraph(result, { inlineLimit: INLINE_LIMIT });
    assert.equal(printed.weights.size, 0, `${rel}: keep golden tensors small enough to print inline`);
    const expectedFile = file.replace(/\.vir$/, '.expected.vir');
    if (UPDATE) writeFileSync(expectedFile, printed.text);
    assert.equal(printed.text, readFileSync(expectedFile, 'utf8'), `${rel}: output differs from ${rel.replace(/\.vir$/, '.expected.vir')}`);
    assertSameResults(input, result, { rtol: 1e-5, atol: 1e-6 });
  });
}
