import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { compileCuda } from '../../compiler/compile-cuda.js';
import { compileWebGpu } from '../../compiler/compile-webgpu.js';
import { bytesMoved } from '../../codegen/emit-webgpu.js';
import { importOnnxFile } from '../../ir/onnx/index.js';
import { Tensor } from '../../ir/tensor.js';
import { compareTensors } from '../../runtime/compare.js';
import { readNpy, writeNpy } from '../../runtime/npy.js';
import { runReference } from '../../runtime/reference/interpreter.js';
import { FIXTURES } from '../helpers/paths.js';
import { Rng } from '../helpers/prng.js';
import { assertOneLineError, inBatches, listing, scratchDir, vitc, vitcLines } from './vitc-process.js';

const dir = scratchDir();
after(() => rmSync(dir, { recursive: true, force: true }));

const MODEL = join(FIXTURES, 'mnist_vit.onnx');

function statNumber(stdout: string, label: string): number {
  const m = new RegExp(`^${label}: ([\\d,]+)`, 'm').exec(stdout);
  assert.ok(m, `no '${label}' in\n${stdout}`);
  return Number(m[1]!.replaceAll(',', ''));
}

test('compile --stats writes an artifact and reports the numbers of the compiled plan', async () => {
  const out = join(dir, 'mnist-b2');
  const r = await vitc('compile', MODEL, '--target', 'webgpu', '-o', out, '--batch', '2', '--stats');
  assert.equal(r.code, 0, r.stderr);
  const compiled = compileWebGpu(importOnnxFile(MODEL), { batch: 2 });
  assert.match(r.stdout, /^mnist_vit: WebGPU, batch 2, limits of WebGPU's defaults\n/);
  assert.equal(statNumber(r.stdout, 'dispatches per inference'), compiled.plan.dispatches.length);
  assert.equal(statNumber(r.stdout, 'programs \\(distinct WGSL modules\\)'), compiled.plan.programs.length);
  assert.equal(statNumber(r.stdout, 'bytes moved per inference'), bytesMoved(compiled));
  assert.match(r.stdout, new RegExp(`^arena: ${compiled.memory.arenaBytes.toLocaleString('en-US')} bytes, liveness lower bound ${compiled.memory.arenaLowerBound.toLocaleString('en-US')} bytes`, 'm'));
  // The MNIST ViT has 4 encoder blocks, named /blocks/blocks.<i>/...
  const perBlock = [0, 1, 2, 3].map((i) => compiled.kernels.filter((k) => k.nodes.length > 0 && k.nodes.every((n) => n.startsWith(`/blocks/blocks.${i}/`))).length);
  assert.ok(perBlock.every((n) => n > 0));
  assert.match(r.stdout, new RegExp(`^dispatches per block \\(by node names\\): at most ${Math.max(...perBlock)} over 4 blocks; ${perBlock.map((n, i) => `blocks\\.${i} ${n}`).join(', ')}$`, 'm'));
  const rows = r.stdout.split('kernels:\n')[1]!.trim().split('\n').slice(1);
  assert.equal(rows.length, compiled.kernels.length);
  compiled.kernels.forEach((k, i) => assert.match(rows[i]!, new RegExp(`^\\s+${i}\\s+${k.task}\\s+${k.program}\\s+\\w[\\w-]*\\s+${k.nodes.length}:`)));
  assert.match(r.stderr, /wrote .*mnist-b2 \(\d+ files\)/);
  const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { plan: { dispatches: unknown[] } };
  assert.equal(manifest.plan.dispatches.length, compiled.plan.dispatches.length);
  for (const f of ['model.js', 'model.d.ts', 'weights.safetensors']) assert.ok(existsSync(join(out, f)), f);
});

test('compile --target cuda --stats writes the compiled CUDA files and reports launches, bytes and memory', async () => {
  const out = join(dir, 'mnist-cuda');
  const r = await vitc('compile', MODEL, '--target', 'cuda', '-o', out, '--batch', '2', '--stats');
  assert.equal(r.code, 0, r.stderr);
  const compiled = compileCuda(importOnnxFile(MODEL), { batch: 2 });
  assert.match(r.stdout, /^mnist_vit: CUDA, batch 2\n/);
  assert.equal(statNumber(r.stdout, 'dispatches per inference'), compiled.launches.length);
  assert.equal(statNumber(r.stdout, 'kernels \\(distinct CUDA functions\\)'), compiled.kernels.length);
  // Bytes moved, summed here over the launch list in the written manifest.
  const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { launches: { args: { size: number }[] }[]; memory: { arenaBytes: number; arenaLowerBound: number } };
  let moved = 0;
  for (const l of manifest.launches) for (const a of l.args) moved += a.size;
  assert.equal(statNumber(r.stdout, 'bytes moved per inference'), moved);
  assert.match(r.stdout, new RegExp(`^arena: ${manifest.memory.arenaBytes.toLocaleString('en-US')} bytes, liveness lower bound ${manifest.memory.arenaLowerBound.toLocaleString('en-US')} bytes`, 'm'));
  assert.ok(manifest.memory.arenaBytes <= 1.2 * manifest.memory.arenaLowerBound, 'arena within 1.2x of the liveness bound');
  const rows = r.stdout.split('kernels:\n')[1]!.trim().split('\n').slice(1);
  assert.equal(rows.length, compiled.tasks.length);
  assert.deepEqual(listing(out), [...compiled.files.keys()].sort());
  for (const [name, content] of compiled.files) {
    const onDisk = readFileSync(join(out, name));
    assert.ok(onDisk.equals(typeof content === 'string' ? Buffer.from(content) : Buffer.from(content)), `${name} differs from compileCuda's`);
  }
  // Compiling again replaces the folder (it is a CUDA artifact vitc wrote).
  const again = await vitc('compile', MODEL, '--target', 'cuda', '-o', out, '--batch', '1');
  assert.equal(again.code, 0, again.stderr);
  assert.match(readFileSync(join(out, 'manifest.json'), 'utf8'), /"batch": 1,/);
});

test('run --target webgpu matches the interpreter: compiled in memory, and from the compiled artifact', async () => {
  const out = join(dir, 'mnist-art');
  const c = await vitc('compile', MODEL, '--target', 'webgpu', '-o', out, '--batch', '3', '--adapter', 'llvmpipe', '--stats');
  assert.equal(c.code, 0, c.stderr);
  assert.match(c.stdout, /limits of llvmpipe \(opengl\)/);
  const rng = new Rng(11);
  const x = new Tensor('f32', [3, 1, 28, 28], Float32Array.from({ length: 3 * 784 }, () => rng.float(0, 1)));
  writeFileSync(join(dir, 'x3.npy'), writeNpy(x));
  const input = `x=${join(dir, 'x3.npy')}`;
  const [memory, artifact] = await inBatches([
    () => vitc('run', MODEL, '--target', 'webgpu', '--adapter', 'llvmpipe', '--input', input, '--output-dir', join(dir, 'gpu-mem')),
    () => vitc('run', out, '--target', 'webgpu', '--adapter', 'llvmpipe', '--input', input, '--output-dir', join(dir, 'gpu-art')),
  ]);
  const expected = runReference(importOnnxFile(MODEL), new Map([['x', x]])).get('logits')!;
  for (const [r, sub] of [[memory!, 'gpu-mem'], [artifact!, 'gpu-art']] as const) {
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(vitcLines(r.stderr), []);
    assert.match(r.stderr, /ran .* on WebGPU on llvmpipe \(opengl\)/);
    const got = readNpy(readFileSync(join(dir, sub, 'logits.npy')));
    assert.deepEqual(got.shape, [3, 10]);
    const diff = compareTensors(got, expected, 1e-4, 1e-5);
    assert.equal(diff.mismatches, 0, `${sub}: ${JSON.stringify(diff)}`);
  }
});

test('compile and run refuse what does not apply, with one line and no output', async () => {
  const artifact = join(dir, 'mnist-b2');
  const foreign = join(dir, 'foreign');
  mkdirSync(foreign);
  writeFileSync(join(foreign, 'notes.txt'), 'mine');
  const results = await inBatches([
    () => vitc('compile', MODEL, '--target', 'cuda2', '-o', join(dir, 'never')),
    () => vitc('compile', MODEL, '-o', join(dir, 'never')),
    () => vitc('compile', MODEL, '--target', 'webgpu', '-o', foreign),
    () => vitc('run', artifact, '--target', 'reference', '--input', `x=${join(dir, 'x3.npy')}`, '--output-dir', join(dir, 'never')),
    () => vitc('run', artifact, '--target', 'webgpu', '--batch', '4', '--input', `x=${join(dir, 'x3.npy')}`, '--output-dir', join(dir, 'never')),
    () => vitc('compile', join(FIXTURES, 'vit_op17_b1.onnx'), '--target', 'webgpu', '-o', join(dir, 'never'), '--batch', '0'),
    () => vitc('compile', MODEL, '--target', 'cuda', '-o', join(dir, 'never'), '--adapter', 'llvmpipe'),
    () => vitc('compile', MODEL, '--target', 'cuda', '-o', foreign),
    () => vitc('compile', MODEL, '--target', 'cuda', '-o', artifact),
    () => vitc('run', join(dir, 'mnist-cuda'), '--target', 'webgpu', '--input', `x=${join(dir, 'x3.npy')}`, '--output-dir', join(dir, 'never')),
  ]);
  const [target, noTarget, refused, reference, batch, zero, cudaAdapter, cudaForeign, cudaOverWebGpu, runCuda] = results;
  assertOneLineError(target!, 2, /--target: unsupported target 'cuda2' for 'vitc compile'; valid targets: webgpu, cuda$/, 'target');
  assertOneLineError(noTarget!, 2, /compile: required option '-t, --target <target>' not specified/, 'no target');
  assertOneLineError(refused!, 2, /foreign is not empty and is not a vitc WebGPU artifact/, 'foreign folder');
  assertOneLineError(reference!, 2, /mnist-b2: is a compiled WebGPU artifact: run it with --target webgpu$/, 'artifact on reference');
  assertOneLineError(batch!, 2, /--batch: does not apply to a compiled artifact/, 'artifact batch');
  assertOneLineError(zero!, 2, /compile: option '--batch <n>' argument '0' is invalid\. expected a positive integer\./, 'batch 0');
  assertOneLineError(cudaAdapter!, 2, /--adapter: selects a WebGPU adapter; it does not apply to --target cuda$/, 'cuda adapter');
  assertOneLineError(cudaForeign!, 2, /foreign is not empty and is not a vitc CUDA artifact/, 'cuda into a foreign folder');
  assertOneLineError(cudaOverWebGpu!, 2, /mnist-b2 is not empty and is not a vitc CUDA artifact/, 'cuda over a WebGPU artifact');
  assertOneLineError(runCuda!, 2, /mnist-cuda: is a compiled CUDA artifact, which vitc run does not execute/, 'run a CUDA artifact');
  assert.deepEqual(listing(foreign), ['notes.txt']);
  assert.ok(existsSync(join(artifact, 'model.js')), 'the WebGPU artifact is left as it was');
  assert.ok(!existsSync(join(dir, 'never')));
});
