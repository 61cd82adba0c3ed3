import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import type * as ArtifactRuntime from '../../../runtime/webgpu/artifact-runtime.js';
import { RUNTIME_FILES } from '../../../runtime/webgpu/runtime-files.js';
import { writeArtifact, type ArtifactFolder } from './artifact-folder.js';
import { assertClose, K, M, mlpCase, seededValues } from './mlp-case.js';

const c = mlpCase();
let folder: ArtifactFolder;
let runtime: typeof ArtifactRuntime;

before(async () => {
  folder = writeArtifact(c);
  // The runtime as the artifact ships it, imported from the artifact folder itself.
  runtime = (await import(pathToFileURL(join(folder.dir, 'runtime.js')).href)) as typeof ArtifactRuntime;
});
after(() => folder?.remove());

test('the runtime files import only each other, Node built-ins and webgpu', () => {
  const shipped = new Set(Object.keys(RUNTIME_FILES));
  for (const name of shipped) {
    const code = readFileSync(join(folder.dir, name), 'utf8');
    const specifiers = [...code.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1] ?? m[2]!);
    for (const s of specifiers) {
      const ok = s.startsWith('node:') || s === 'webgpu' || (s.startsWith('./') && shipped.has(s.slice(2)) && s !== './runtime.js');
      assert.ok(ok, `${name} imports ${s}`);
    }
    if (name === 'executor.js') assert.deepEqual(specifiers, [], 'executor.js must import nothing at run time');
    if (name === 'runtime.js') assert.ok(specifiers.includes('./executor.js') && specifiers.includes('webgpu'), `runtime.js imports ${specifiers}`);
  }
});

test('loads the artifact folder in plain Node and matches a CPU evaluation', async () => {
  const artifact = await runtime.loadArtifact(folder.dir, { adapter: 'swiftshader' });
  try {
    assert.equal(artifact.info.name, 'mlp');
    assert.equal(artifact.info.adapter?.name, 'SwiftShader');
    assert.deepEqual(artifact.info.inputs.map((t) => t.name), ['x']);
    const x = seededValues(M * K, 31);
    const out = await artifact.run({ x });
    const ref = c.reference(x);
    assertClose(out.hidden, ref.hidden, 'hidden');
    assertClose(out.logits, ref.logits, 'logits');
  } finally {
    artifact.destroy();
  }
});

test('a file: URL works, and VITC_ADAPTER picks the adapter', async () => {
  const saved = process.env.VITC_ADAPTER;
  process.env.VITC_ADAPTER = 'llvmpipe';
  try {
    const artifact = await runtime.loadArtifact(pathToFileURL(join(folder.dir, 'manifest.json')));
    try {
      assert.equal(artifact.info.adapter?.name, 'llvmpipe');
      const x = seededValues(M * K, 32);
      assertClose((await artifact.run({ x })).logits, c.reference(x).logits, 'logits');
    } finally {
      artifact.destroy();
    }
  } finally {
    if (saved === undefined) delete process.env.VITC_ADAPTER;
    else process.env.VITC_ADAPTER = saved;
  }
});

test('a file that does not match its hash is refused', async () => {
  const broken = writeArtifact(c);
  try {
    const path = join(broken.dir, 'bias_act.wgsl');
    writeFileSync(path, readFileSync(path, 'utf8').replace('max(v, 0.0)', 'max(v, 1.0)'));
    await assert.rejects(runtime.loadArtifact(broken.dir, { adapter: 'swiftshader' }), /^WebGpuRuntimeError: file:.*bias_act\.wgsl does not match its sha-256 in the manifest \(expected [0-9a-f]{64}, got [0-9a-f]{64}\)$/m);
  } finally {
    broken.remove();
  }
});

test('a missing folder and a corrupt safetensors file fail clearly', async () => {
  await assert.rejects(runtime.loadArtifact(join(folder.dir, 'nope')), /cannot read file:.*nope\/manifest\.json: ENOENT/);
  const bytes = new Uint8Array(16);
  new DataView(bytes.buffer).setUint32(0, 1000, true);
  assert.throws(() => runtime.parseSafetensors(bytes, 'w.safetensors'), /^WebGpuRuntimeError: w\.safetensors is not a valid safetensors file: header length 1000 exceeds the file$/m);
});
