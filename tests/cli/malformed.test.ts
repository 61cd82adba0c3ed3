import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Tensor } from '../../ir/tensor.js';
import { writeNpy } from '../../runtime/npy.js';
import { buildModel, type ModelSpec, singleNode, writeFile } from '../helpers/onnx-build.js';
import { FIXTURES } from '../helpers/paths.js';
import { Rng } from '../helpers/prng.js';
import { out, v } from '../unit/onnx/single-op.js';
import { assertOneLineError, type Finished, inBatches, listing, scratchDir, vitc } from './vitc-process.js';

const dir = scratchDir();
after(() => rmSync(dir, { recursive: true, force: true }));

interface BadCase {
  readonly what: string;
  readonly args: readonly string[];
  readonly code: number;
  readonly error: RegExp;
}

/** Runs every case (two processes at a time) and checks each failed as promised, leaving `outDir` empty. */
async function expectFailures(cases: readonly BadCase[], outDir: string): Promise<void> {
  const results: Finished[] = await inBatches(cases.map((c) => () => vitc(...c.args)));
  cases.forEach((c, i) => assertOneLineError(results[i]!, c.code, c.error, c.what));
  assert.deepEqual(listing(outDir), [], 'no output, not even a partial or temporary file');
}

test('malformed models: one stderr line, exit 2, no stack trace, nothing written', async () => {
  const models = join(dir, 'models');
  const outDir = join(dir, 'out-models');
  mkdirSync(outDir);
  const good = readFileSync(join(FIXTURES, 'vit_op17_b1.onnx'));
  const rng = new Rng(3);
  const file = (name: string, bytes: Uint8Array | string) => writeFile(models, name, typeof bytes === 'string' ? Buffer.from(bytes) : bytes);
  const cyclic: ModelSpec = {
    nodes: [
      { op: 'Add', inputs: ['x', 'c'], outputs: ['a'], name: 'first' },
      { op: 'Relu', inputs: ['a'], outputs: ['c'], name: 'second' },
    ],
    inputs: [v('x', [2])],
    outputs: [out('c')],
  };
  const addModel = singleNode('Add', [v('x', [2, 3])], [out('y')], { initializers: [{ name: 'b', tensor: Tensor.f32([3], [1, 2, 3]), external: { location: '../outside.bin' } }] });
  writeFileSync(join(dir, 'outside.bin'), Tensor.f32([3], [1, 2, 3]).toBytes());
  const inputs: [string, string, RegExp][] = [
    ['truncated', file('truncated.onnx', good.subarray(0, Math.floor(good.length / 2))), /truncated\.onnx: not an ONNX model, or a truncated one/],
    ['random bytes', file('random.onnx', Uint8Array.from({ length: 3000 }, () => rng.int(0, 255))), /random\.onnx: /],
    ['wrong magic (a PNG)', file('picture.onnx', readFileSync(join(FIXTURES, '..', 'cli', 'data', 'image', 'r.png'))), /picture\.onnx: not an ONNX model.*PNG/],
    ['empty file', file('empty.onnx', new Uint8Array(0)), /empty\.onnx: not an ONNX model.*empty/],
    ['missing initializer', file('noinit.onnx', buildModel(singleNode('MatMul', [v('x', [2, 3])], [out('y')], { nodeInputs: ['x', 'w'] }))), /noinit\.onnx: node 'matmul' \(MatMul\): input 'w' is not defined/],
    ['cyclic graph', file('cycle.onnx', buildModel(cyclic)), /cycle\.onnx: node '(first|second)' \((Add|Relu)\): the graph has a cycle/],
    ['negative dim', file('negdim.onnx', buildModel(singleNode('Relu', [v('x', [2, -3])], [out('y')]))), /negdim\.onnx: graph input 'x': dimension 1 is negative \(-3\)/],
    ['external data outside the folder', file('escape.onnx', buildModel(addModel)), /escape\.onnx: external data of tensor 'b': path '\.\.\/outside\.bin' points outside the model's folder/],
    ['unknown op', file('unknown.onnx', buildModel({ ...singleNode('LpNormalization', [v('x', [2, 3])], [out('y')]), opset: 17 })), /unknown\.onnx: unsupported op 'LpNormalization' \(node 'lpnormalization', opset 17\)$/],
    ['missing file', join(models, 'nothere.onnx'), /nothere\.onnx: no such file/],
    ['text IR with a syntax error', file('bad.vir', 'graph @g(%x: f32[2]) {\n  %y = relu(%x : f32[2]\n  return %y\n}\n'), /bad\.vir:2:\d+: /],
    ['text IR naming a missing weights file', file('noweights.vir', 'graph @g(%x: f32[3]) weights "gone.safetensors" {\n  %w = const @"w" : f32[3]\n  %y = add(%x, %w)\n  return %y\n}\n'), /gone\.safetensors/],
    ['a folder given as an ONNX file', models, /models: cannot read the file \(EISDIR\)$/],
  ];
  const cases: BadCase[] = [];
  for (const [what, path, error] of inputs) {
    const command = path.endsWith('.vir') ? ['opt', path, '-p', 'dce', '-o', join(outDir, 'o.vir')] : ['import', path, '-o', join(outDir, 'o.vir')];
    cases.push({ what, args: command, code: 2, error });
  }
  // Some of them through run, which must not create its output folder either; and a folder without a manifest.
  inputs.push(['a folder that is not an artifact', models, /models: is a folder without manifest\.json/]);
  for (const [what, path, error] of [inputs[0]!, inputs[5]!, inputs[8]!, inputs[inputs.length - 1]!])
    cases.push({ what: `run: ${what}`, args: ['run', path, '--input', `x=${join(dir, 'none.npy')}`, '--output-dir', join(outDir, 'run')], code: 2, error });
  await expectFailures(cases, outDir);
});

test('bad inputs to run: one line, exit 2, no output folder', async () => {
  const model = join(FIXTURES, 'vit_op17_b1.onnx');
  const outDir = join(dir, 'out-run');
  mkdirSync(outDir);
  const file = (name: string, bytes: Uint8Array | string) => writeFile(join(dir, 'inputs'), name, typeof bytes === 'string' ? Buffer.from(bytes) : bytes);
  const ok = file('x.npy', writeNpy(new Tensor('f32', [1, 3, 32, 32])));
  const wrongShape = file('x2.npy', writeNpy(new Tensor('f32', [1, 3, 32, 31])));
  const wrongType = file('xi.npy', writeNpy(new Tensor('i32', [1, 3, 32, 32])));
  const notNpy = file('x.txt', 'just text, not numpy');
  const cut = file('cut.npy', writeNpy(new Tensor('f32', [1, 3, 32, 32])).subarray(0, 500));
  const run = (...args: string[]) => ['run', model, ...args, '--output-dir', join(outDir, 'o')];
  await expectFailures(
    [
      { what: 'not an npy file', args: run('--input', `x=${notNpy}`), code: 2, error: /x\.txt: not a readable \.npy file: missing \\x93NUMPY magic$/ },
      { what: 'truncated npy', args: run('--input', `x=${cut}`), code: 2, error: /cut\.npy: not a readable \.npy file: data is truncated/ },
      { what: 'wrong shape', args: run('--input', `x=${wrongShape}`), code: 2, error: /input 'x' \[1,3,32,31\] vs \[1,3,32,32\]: dimension 3 is 31, expected 32$/ },
      { what: 'wrong element type', args: run('--input', `x=${wrongType}`), code: 2, error: /run: input 'x' has element type i32, the model expects f32$/ },
      { what: 'unknown input name', args: run('--input', `y=${ok}`), code: 2, error: /run: the model has no input named 'y'; its inputs are 'x' f32\[1,3,32,32\]$/ },
      { what: 'input given twice', args: run('--input', `x=${ok}`, '--input', `x=${ok}`), code: 2, error: /--input: input 'x' is given twice$/ },
      { what: 'missing input file', args: run('--input', `x=${join(dir, 'nope.npy')}`), code: 2, error: /nope\.npy: cannot read: ENOENT$/ },
      { what: 'no inputs', args: run(), code: 2, error: /run: give the model inputs with --input NAME=FILE\.npy/ },
      { what: 'an image that is not one', args: run('--image', notNpy), code: 2, error: /x\.txt: not a PNG or JPEG image/ },
      { what: 'image and inputs together', args: run('--image', notNpy, '--input', `x=${ok}`), code: 2, error: /run: give either --image or --input, not both$/ },
      { what: '--batch on the interpreter', args: run('--batch', '2', '--input', `x=${ok}`), code: 2, error: /--batch: is for --target webgpu/ },
      { what: 'unknown target', args: run('--target', 'gpu', '--input', `x=${ok}`), code: 2, error: /--target: unsupported target 'gpu' for 'vitc run'; valid targets: reference, webgpu$/ },
      { what: 'unknown adapter', args: run('--target', 'webgpu', '--adapter', 'no-such-gpu', '--input', `x=${ok}`), code: 2, error: /no WebGPU adapter matches "no-such-gpu"; available: / },
    ],
    outDir,
  );
});

test('usage errors: one line naming the command, exit 2', async () => {
  const model = join(FIXTURES, 'vit_op17_b1.onnx');
  const outDir = join(dir, 'out-usage');
  mkdirSync(outDir);
  await expectFailures(
    [
      { what: 'no command', args: [], code: 2, error: /^vitc: error: no command given \(see 'vitc --help'\)$/ },
      { what: 'unknown command', args: ['frobnicate'], code: 2, error: /^vitc: error: unknown command 'frobnicate'/ },
      { what: 'unknown option', args: ['import', model, '--frob'], code: 2, error: /^vitc: error: import: unknown option '--frob' \(see 'vitc import --help'\)$/ },
      { what: 'missing argument', args: ['run'], code: 2, error: /^vitc: error: run: missing required argument 'model'/ },
      { what: 'nothing to do', args: ['import', model], code: 2, error: /import: nothing to do: give -o OUT\.vir/ },
      { what: 'bad number', args: ['verify', model, '--rtol', 'tight'], code: 2, error: /verify: option '--rtol <x>' argument 'tight' is invalid\. expected a non-negative number\./ },
      { what: 'negative seed', args: ['verify', model, '--seed', '-1'], code: 2, error: /verify: option '--seed <n>' argument '-1' is invalid/ },
      { what: 'excess argument', args: ['import', model, model, '-o', join(outDir, 'x.vir')], code: 2, error: /import: too many arguments/ },
    ],
    outDir,
  );
  const [help, version] = await inBatches([() => vitc('run', '--help'), () => vitc('--version')]);
  assert.equal(help!.code, 0);
  assert.match(help!.stdout, /^Usage: vitc run \[options\] <model>/);
  assert.equal(version!.code, 0);
  assert.equal(version!.stdout, `${(JSON.parse(readFileSync(join(FIXTURES, '..', '..', 'package.json'), 'utf8')) as { version: string }).version}\n`);
});

test('outputs that cannot be written: one line naming the output, exit 2, nothing left behind', async () => {
  const place = join(dir, 'unwritable');
  mkdirSync(place);
  const afile = join(place, 'afile');
  writeFileSync(afile, 'mine');
  const model = join(FIXTURES, 'mnist_vit.onnx');
  const x = join(place, 'x.npy');
  writeFileSync(x, writeNpy(new Tensor('f32', [1, 1, 28, 28])));
  const results = await inBatches([
    () => vitc('import', model, '-o', join(afile, 'x.vir')),
    () => vitc('opt', model, '-p', 'dce', '-o', join(afile, 'sub', 'x.vir')),
    () => vitc('import', model, '-o', '/proc/vitc-test.vir'),
    () => vitc('compile', model, '--target', 'webgpu', '-o', join(afile, 'art')),
    () => vitc('compile', model, '--target', 'cuda', '-o', '/proc/vitc-test-art'),
    () => vitc('compile', model, '--target', 'cuda', '-o', afile),
    () => vitc('run', model, '--input', `x=${x}`, '--output-dir', join(afile, 'out')),
  ]);
  const [importUnder, optUnder, importProc, webgpuUnder, cudaProc, cudaOverFile, runUnder] = results;
  assertOneLineError(importUnder!, 2, /afile\/x\.vir: cannot write output: a path component is not a directory$/, 'import under a file');
  assertOneLineError(optUnder!, 2, /afile\/sub\/x\.vir: cannot write (output|text IR)/, 'opt under a file');
  assertOneLineError(importProc!, 2, /\/proc\/vitc-test\.vir: cannot write/, 'import into /proc');
  assertOneLineError(webgpuUnder!, 2, /afile\/art: cannot write output: a path component is a file, not a folder$/, 'webgpu artifact under a file');
  assertOneLineError(cudaProc!, 2, /\/proc\/vitc-test-art: cannot write output: /, 'cuda artifact in /proc');
  assertOneLineError(cudaOverFile!, 2, /afile exists and is not a folder$/, 'cuda artifact over a file');
  assertOneLineError(runUnder!, 2, /afile\/out: cannot write output: /, 'run outputs under a file');
  assert.deepEqual(listing(place), ['afile', 'x.npy']);
  assert.equal(readFileSync(afile, 'utf8'), 'mine');
});
