import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import ts from 'typescript';
import { pathToFileURL } from 'node:url';
import { replaceFolder } from '../../compiler/artifact/replace-folder.js';
import { writeWebGpuArtifact } from '../../compiler/artifact/write-artifact.js';
import { decodeSafetensors } from '../../ir/safetensors.js';
import type { ArtifactManifest } from '../../runtime/webgpu/artifact-manifest.js';
import { RUNTIME_FILES } from '../../runtime/webgpu/runtime-files.js';
import { repoPath } from '../helpers/paths.js';
import { scratchFolder, writeFixtureArtifact, type FixtureArtifact } from './fixture-artifact.js';

const scratch = scratchFolder('vitc-write-artifact-');
let dyn: FixtureArtifact;
let mnist: FixtureArtifact;

before(async () => {
  dyn = await writeFixtureArtifact('vit_op17_dyn.onnx', join(scratch.path, 'vit_dyn'), 2);
  mnist = await writeFixtureArtifact('mnist_vit.onnx', join(scratch.path, 'mnist'));
});
after(() => scratch.remove());

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const readManifest = (dir: string) => JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as ArtifactManifest;
/** What a folder's parent holds besides the given folders: leftovers of an interrupted write. */
const leftovers = (parent: string, expected: readonly string[]) => readdirSync(parent).filter((e) => !expected.includes(e));

test('the folder holds model.js, model.d.ts, one .wgsl per program, the weights, manifest, package.json and the runtime', () => {
  const expected = [
    'manifest.json',
    'model.d.ts',
    'model.js',
    'package.json',
    'weights.safetensors',
    ...Object.keys(RUNTIME_FILES),
    ...dyn.compiled.plan.programs.map((p) => `${p.id}.wgsl`),
  ].sort();
  assert.deepEqual(readdirSync(dyn.dir).sort(), expected);
  assert.deepEqual([...dyn.files].sort(), expected);
  for (const p of dyn.compiled.plan.programs) assert.equal(readFileSync(join(dyn.dir, `${p.id}.wgsl`), 'utf8'), dyn.compiled.sources.get(p.id));
  for (const f of Object.keys(RUNTIME_FILES)) assert.doesNotMatch(readFileSync(join(dyn.dir, f), 'utf8'), /sourceMappingURL/, `${f} links a source map it does not ship`);
});

test('the manifest hashes every other file and records the batch, vitc version and device requirements', () => {
  const m = readManifest(dyn.dir);
  assert.equal(m.format, 'vitc-webgpu-artifact/1');
  const others = readdirSync(dyn.dir).filter((f) => f !== 'manifest.json').sort();
  assert.deepEqual(Object.keys(m.files).sort(), others);
  for (const f of others) assert.equal(m.files[f], sha256(readFileSync(join(dyn.dir, f))), `sha-256 of ${f}`);
  const pkg = JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { version: string };
  assert.deepEqual(m.producer, { name: 'vitc', version: pkg.version });
  assert.equal(m.batch, 2);
  assert.deepEqual(m.plan.inputs[0]!.shape, [2, 3, 32, 32]);
  assert.deepEqual(m.entry, { module: 'model.js', types: 'model.d.ts' });
  // The requirements cover what the plan itself states, and the workgroup shapes of every program.
  assert.deepEqual(m.requires!.features, dyn.compiled.plan.requires.features);
  for (const [limit, value] of Object.entries(dyn.compiled.plan.requires.limits)) {
    if (limit.startsWith('min')) assert.equal(value % m.requires!.limits[limit]!, 0, limit);
    else assert.ok(m.requires!.limits[limit]! >= value, `${limit}: ${m.requires!.limits[limit]} < ${value}`);
  }
  const widest = Math.max(...dyn.compiled.plan.programs.map((p) => p.workgroupSize[0]));
  assert.equal(m.requires!.limits.maxComputeWorkgroupSizeX, widest);
  // Programs name their file instead of carrying the source; the rest of the plan is the compiler's.
  for (const p of m.plan.programs) {
    assert.equal(p.file, `${p.id}.wgsl`);
    assert.equal(p.source, undefined);
  }
  const strip = ({ programs: _p, name: _n, ...rest }: ArtifactManifest['plan']) => rest;
  assert.deepEqual(strip(m.plan), JSON.parse(JSON.stringify(strip(dyn.compiled.plan))));
  assert.equal(m.plan.name, 'vit_op17_dyn');
});

test('weights.safetensors holds each plan weight under its key: its values, with a real shape', () => {
  const m = readManifest(mnist.dir);
  const { tensors, metadata } = decodeSafetensors(readFileSync(join(mnist.dir, m.weights)), m.weights);
  assert.deepEqual([...tensors.keys()].sort(), m.plan.weights.map((w) => w.key).sort());
  assert.equal(metadata.model, 'mnist_vit');
  for (const w of m.plan.weights) {
    const t = tensors.get(w.key)!;
    const compiled = mnist.compiled.weights.get(w.key)!;
    const values = t.toBytes();
    assert.ok(values.byteLength <= w.size, `${w.key}: ${values.byteLength} bytes for a ${w.size}-byte slice`);
    assert.deepEqual(values, compiled.subarray(0, values.byteLength), `${w.key} values`);
    assert.ok(compiled.subarray(values.byteLength).every((b) => b === 0), `${w.key}: the slice beyond the values is padding`);
  }
  // Some slice is longer than its values (the 10-class head bias): the loader's padding is exercised when this artifact runs.
  assert.ok(m.plan.weights.some((w) => tensors.get(w.key)!.toBytes().byteLength < w.size), 'no weight is shorter than its slice');
  // Real shapes, not flat ones: the position embedding of 16 patches + class token, width 64 (fixtures README).
  const pos = [...tensors].find(([key]) => key.endsWith(':pos_embed'));
  assert.deepEqual(pos?.[1].shape, [1, 17, 64]);
});

test('model.js exports the fixed shapes and imports only ./runtime.js; package.json makes it an ES module', async () => {
  const code = readFileSync(join(dyn.dir, 'model.js'), 'utf8');
  const specifiers = ts.preProcessFile(code, true, true).importedFiles.map((f) => f.fileName);
  assert.deepEqual(specifiers, ['./runtime.js']);
  const mod = (await import(pathToFileURL(join(dyn.dir, 'model.js')).href)) as Record<string, unknown>;
  assert.equal(mod.name, 'vit_op17_dyn');
  assert.equal(mod.batch, 2);
  const plain = ({ name, dtype, shape }: { name: string; dtype: string; shape: readonly number[] }) => ({ name, dtype, shape: [...shape] });
  assert.deepEqual(mod.inputs, dyn.compiled.plan.inputs.map(plain));
  assert.deepEqual(mod.outputs, dyn.compiled.plan.outputs.map(plain));
  const inputs = mod.inputs as { shape: number[] }[];
  assert.ok(Object.isFrozen(inputs) && Object.isFrozen(inputs[0]) && Object.isFrozen(inputs[0]!.shape), 'metadata is frozen');
  assert.equal(typeof mod.load, 'function');
  const pkg = JSON.parse(readFileSync(join(dyn.dir, 'package.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(pkg.type, 'module');
  assert.equal(pkg.main, './model.js');
  assert.equal(pkg.types, './model.d.ts');
});

test('refuses a non-empty folder that is not an artifact, and leaves it as it was', async () => {
  const dir = join(scratch.path, 'user-folder');
  mkdirSync(dir);
  writeFileSync(join(dir, 'notes.txt'), 'keep me');
  await assert.rejects(writeWebGpuArtifact(dir, mnist.compiled), /user-folder is not empty and is not a vitc WebGPU artifact .*refusing to replace it/);
  assert.deepEqual(readdirSync(dir), ['notes.txt']);
  assert.equal(readFileSync(join(dir, 'notes.txt'), 'utf8'), 'keep me');
  const file = join(scratch.path, 'a-file');
  writeFileSync(file, 'x');
  await assert.rejects(writeWebGpuArtifact(file, mnist.compiled), /a-file exists and is not a folder/);
  assert.deepEqual(leftovers(scratch.path, ['vit_dyn', 'mnist', 'user-folder', 'a-file']), []);
});

test('refuses an artifact folder holding files its manifest does not list', async () => {
  const parent = join(scratch.path, 'extra');
  const { dir } = await writeFixtureArtifact('vit_op17_b1.onnx', join(parent, 'model'));
  mkdirSync(join(dir, 'node_modules'));
  await assert.rejects(writeWebGpuArtifact(dir, mnist.compiled), /holds files its manifest does not list \(node_modules\); refusing to replace it/);
  assert.equal(readManifest(dir).plan.name, 'vit_op17_b1');
  assert.deepEqual(readdirSync(parent), ['model']);
});

test('replaces an earlier artifact as a whole; an empty folder is used as it is', async () => {
  const parent = join(scratch.path, 'replace');
  const dir = join(parent, 'model');
  mkdirSync(dir, { recursive: true });
  const first = await writeFixtureArtifact('vit_op17_b1.onnx', dir);
  const second = await writeWebGpuArtifact(dir, mnist.compiled, { modelName: 'digits' });
  assert.deepEqual(readdirSync(dir).sort(), second.files);
  const stale = first.files.filter((f) => f.endsWith('.wgsl') && !second.files.includes(f));
  assert.ok(stale.length > 0, 'the two models share every program: the test proves nothing');
  assert.equal(readManifest(dir).plan.name, 'digits');
  assert.deepEqual(readdirSync(parent), ['model']);
});

test('a write that fails part-way leaves the previous folder untouched and no temporaries', () => {
  const parent = join(scratch.path, 'atomic');
  const dir = join(parent, 'out');
  replaceFolder(dir, new Map([['a.txt', 'old']]), () => undefined);
  // 'b' as a file and as a folder: the second write fails after the first succeeded.
  const clash = new Map<string, string>([['a.txt', 'new'], ['b', 'file'], ['b/c.txt', 'nested']]);
  assert.throws(() => replaceFolder(dir, clash, () => undefined));
  assert.deepEqual(readdirSync(parent), ['out']);
  assert.deepEqual(readdirSync(dir), ['a.txt']);
  assert.equal(readFileSync(join(dir, 'a.txt'), 'utf8'), 'old');
  assert.ok(!existsSync(join(dir, 'b')));
});
