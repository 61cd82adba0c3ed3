import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runPipeline } from '../../compiler/pass-manager.js';
import { parsePipeline } from '../../compiler/pipeline.js';
import { coverageReport, formatCoverage, importOnnxFile, readOnnxFile } from '../../ir/onnx/index.js';
import { printGraph, readVir, writeVir } from '../../ir/text/index.js';
import { buildModel, singleNode, writeFile } from '../helpers/onnx-build.js';
import { FIXTURES } from '../helpers/paths.js';
import { assertGraphsEquivalent } from '../unit/text/compare-graphs.js';
import { out, v } from '../unit/onnx/single-op.js';
import { assertOneLineError, inBatches, listing, scratchDir, vitc } from './vitc-process.js';

const dir = scratchDir();
after(() => rmSync(dir, { recursive: true, force: true }));

test('import writes text IR and weights that read back as the directly imported graph', async () => {
  const cases = ['vit_op13_dyn.onnx', 'vit_external/model.onnx', 'swin_op17_b1.onnx'];
  const results = await inBatches(cases.map((name, i) => () => vitc('import', join(FIXTURES, name), '-o', join(dir, `imp${i}.vir`))));
  cases.forEach((name, i) => {
    const r = results[i]!;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    const direct = importOnnxFile(join(FIXTURES, name));
    assertGraphsEquivalent(readVir(join(dir, `imp${i}.vir`)), direct);
    assert.ok(existsSync(join(dir, `imp${i}.safetensors`)), 'the weights go to a sidecar');
  });
});

test('import --report prints the coverage table; without -o it writes nothing', async () => {
  const model = join(FIXTURES, 'vit_op17_dyn.onnx');
  const before = listing(dir);
  const r = await vitc('import', model, '--report');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `${formatCoverage(coverageReport(readOnnxFile(model)))}\n`);
  assert.equal(r.stderr, '');
  assert.deepEqual(listing(dir), before);
});

test('import --report on a model with an unsupported op prints the report, then fails with one line and writes nothing', async () => {
  const model = writeFile(dir, 'lp.onnx', buildModel({ ...singleNode('LpNormalization', [v('x', [2, 3])], [out('y')]), opset: 17 }));
  const target = join(dir, 'lp.vir');
  const r = await vitc('import', model, '--report', '-o', target);
  assertOneLineError(r, 2, /lp\.onnx: unsupported op 'LpNormalization' \(node 'lpnormalization', opset 17\)$/, 'unsupported op');
  assert.match(r.stdout, /unsupported op types: LpNormalization/);
  assert.match(r.stdout, /does not import completely/);
  assert.ok(!existsSync(target));
});

test('opt runs the pipeline, prints the IR after each changing pass and the timing to stderr, and writes the result', async () => {
  // Start from the text IR of an ONNX export: opt takes .vir and .onnx alike.
  const model = join(FIXTURES, 'vit_op13_dyn.onnx');
  const input = join(dir, 'opt-in.vir');
  const graph = importOnnxFile(model);
  writeVir(input, graph);
  const pipeline = 'infer-shapes{batch=2},canonicalize,fold-constants,cse,dce';
  const passes = ['infer-shapes{batch=2}', 'canonicalize', 'fold-constants', 'cse', 'dce'];
  const [fromVir, fromOnnx] = await inBatches([
    () => vitc('opt', input, '-p', pipeline, '-o', join(dir, 'opt-out.vir'), '--print-ir-after-change', '--time-passes'),
    () => vitc('opt', model, '-p', pipeline, '-o', join(dir, 'opt-out2.vir')),
  ]);
  assert.equal(fromVir!.code, 0, fromVir!.stderr);
  assert.equal(fromOnnx!.code, 0, fromOnnx!.stderr);
  assert.equal(fromVir!.stdout, '');

  // Each against the pipeline run in this process on what the CLI read (value ids come from the input).
  const expected = runPipeline(readVir(input), parsePipeline(pipeline)).graph;
  assertGraphsEquivalent(readVir(join(dir, 'opt-out.vir')), expected);
  assertGraphsEquivalent(readVir(join(dir, 'opt-out2.vir')), runPipeline(graph, parsePipeline(pipeline)).graph);

  // One dump per pass whose output prints differently from its input; each dump is that IR.
  const dumps = fromVir!.stderr.split(/^\/\/ ----- IR after /m).slice(1);
  let g = readVir(input);
  const changed: string[] = [];
  for (const [i, name] of passes.entries()) {
    const next = runPipeline(g, parsePipeline(name)).graph;
    if (printGraph(next).text !== printGraph(g).text) changed.push(`${name} (${i + 1}/${passes.length})`);
    g = next;
  }
  assert.ok(changed.length >= 2, `the fixture should change under several passes: ${changed}`);
  assert.deepEqual(
    dumps.map((d) => d.split(' -----')[0]),
    changed,
  );
  assert.ok(dumps[dumps.length - 1]!.includes(printGraph(expected).text.split('\n')[1]!), 'the last dump shows the final IR');
  assert.match(fromVir!.stderr, /===== pass timing \(wall clock\) =====/);
  for (const name of passes) assert.ok(fromVir!.stderr.includes(`%  ${name}\n`), name);
});

test('opt rejects bad pipelines and conflicting flags with one line, writing nothing', async () => {
  const input = join(FIXTURES, 'vit_op17_b1.onnx');
  const target = join(dir, 'never.vir');
  const [unknown, option, conflict, missing] = await inBatches([
    () => vitc('opt', input, '-p', 'canonicalize,fold-constnts', '-o', target),
    () => vitc('opt', input, '-p', 'fold-constants{max-bytes=lots}', '-o', target),
    () => vitc('opt', input, '-p', 'dce', '-o', target, '--print-ir-after-all', '--print-ir-after-change'),
    () => vitc('opt', input, '-o', target),
  ]);
  assertOneLineError(unknown!, 2, /^vitc: error: -p:1:14: unknown pass 'fold-constnts' \(did you mean 'fold-constants'\?\)$/, 'unknown pass');
  assertOneLineError(option!, 2, /^vitc: error: -p:1:26: option 'max-bytes' of 'fold-constants' must be an integer, got 'lots'$/, 'bad option');
  assertOneLineError(conflict!, 2, /^vitc: error: opt: option '--print-ir-after-all' cannot be used with option '--print-ir-after-change'/, 'conflict');
  assertOneLineError(missing!, 2, /^vitc: error: opt: required option '-p, --passes <pipeline>' not specified/, 'missing -p');
  assert.ok(!existsSync(target));
});
