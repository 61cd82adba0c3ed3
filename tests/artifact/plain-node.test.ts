import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { Tensor } from '../../ir/tensor.js';
import { compareTensors } from '../../runtime/compare.js';
import { openOrt } from '../../runtime/ort-reference.js';
import { randomInputs } from '../numeric/onnx-check.js';
import { REPO_ROOT, repoPath } from '../helpers/paths.js';
import { scratchFolder, writeFixtureArtifact, type FixtureArtifact } from './fixture-artifact.js';

/*
 * The artifact as a user gets it: copied into a project outside the repository whose only
 * dependency is the `webgpu` package, and run by a consumer script with plain `node`. A module
 * hook records every ES module that gets loaded: all are Node built-ins or files of that project.
 */

const run = promisify(execFile);

const CONSUMER = `import { readFileSync } from 'node:fs';
const [folder, inputFile] = process.argv.slice(2);
const { load, inputs, batch } = await import(\`./\${folder}/model.js\`);
const model = await load();
const raw = readFileSync(inputFile);
const x = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
const outputs = await model.run({ [inputs[0].name]: x });
console.log(JSON.stringify({
  adapter: model.adapter?.name,
  batch,
  outputs: Object.fromEntries(Object.entries(outputs).map(([name, values]) => [name, Array.from(values)])),
}));
model.destroy();
`;

// Runs in Node's module-hooks thread; IMPORT_LOG names the file to append resolved URLs to.
const HOOKS = `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(process.env.IMPORT_LOG, resolved.url + '\\n');
  return resolved;
}
`;
const REGISTER = `import { register } from 'node:module';
register('./import-hooks.mjs', import.meta.url);
`;

/** The artifacts the project holds; `adapter` is what VITC_ADAPTER asks for (unset: load() picks). */
const CASES = [
  { fixture: 'mnist_vit.onnx', folder: 'mnist_vit', batch: 1, adapter: undefined },
  { fixture: 'vit_op17_dyn.onnx', folder: 'vit_op17_dyn', batch: 2, adapter: 'swiftshader' },
] as const;

const build = scratchFolder('vitc-build-');
const project = scratchFolder('vitc-user-project-');
const artifacts = new Map<string, FixtureArtifact>();

before(async () => {
  assert.ok(!project.path.startsWith(REPO_ROOT), 'the project must live outside the repository');
  for (const c of CASES) {
    const artifact = await writeFixtureArtifact(c.fixture, join(build.path, c.folder), c.batch);
    cpSync(artifact.dir, join(project.path, c.folder), { recursive: true });
    artifacts.set(c.folder, artifact);
  }
  writeFileSync(join(project.path, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies: { webgpu: '*' } }));
  mkdirSync(join(project.path, 'node_modules'));
  symlinkSync(repoPath('node_modules', 'webgpu'), join(project.path, 'node_modules', 'webgpu'), 'dir');
  writeFileSync(join(project.path, 'main.mjs'), CONSUMER);
  writeFileSync(join(project.path, 'import-hooks.mjs'), HOOKS);
  writeFileSync(join(project.path, 'record-imports.mjs'), REGISTER);
});
after(() => {
  build.remove();
  project.remove();
});

interface ConsumerResult {
  readonly adapter: string;
  readonly batch: number;
  readonly outputs: Record<string, number[]>;
}

for (const { folder, batch, adapter } of CASES) {
  test(`${folder} (batch ${batch}) runs in a plain Node project with only webgpu installed (${adapter ?? 'adapter picked by load()'}) and matches onnxruntime`, async () => {
    const artifact = artifacts.get(folder)!;
    const inputs = randomInputs(artifact.graph, batch, 77 + batch);
    const x = [...inputs.values()][0]!.data as Float32Array;
    const inputFile = join(project.path, `${folder}.input.f32`);
    writeFileSync(inputFile, x);
    const importLog = join(project.path, `${folder}.imports.txt`);
    writeFileSync(importLog, '');
    // A clean environment: no NODE_PATH or NODE_OPTIONS leading back into the repository.
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: project.path, IMPORT_LOG: importLog, ...(adapter ? { VITC_ADAPTER: adapter } : {}) };
    const { stdout } = await run(process.execPath, ['--preserve-symlinks', '--import', './record-imports.mjs', 'main.mjs', folder, inputFile], {
      cwd: project.path,
      env,
      maxBuffer: 1 << 24,
    });
    const result = JSON.parse(stdout.trim().split('\n').pop()!) as ConsumerResult;
    assert.equal(result.batch, batch);
    if (adapter) assert.equal(result.adapter, 'SwiftShader');
    else assert.ok(typeof result.adapter === 'string' && result.adapter.length > 0, `adapter ${result.adapter}`);

    const loaded = readFileSync(importLog, 'utf8').trim().split('\n');
    const outside = loaded.filter((url) => !url.startsWith('node:') && !url.startsWith(`file://${project.path}/`));
    assert.deepEqual(outside, [], 'modules loaded from outside the project');
    for (const expected of ['model.js', 'runtime.js', 'executor.js']) assert.ok(loaded.includes(`file://${project.path}/${folder}/${expected}`), `${expected} was not loaded`);
    assert.ok(loaded.includes(`file://${project.path}/node_modules/webgpu/index.js`), 'webgpu was not loaded from the project');

    const ort = await openOrt(artifact.model);
    try {
      const expected = await ort.run(inputs);
      for (const [name, want] of expected) {
        const got = result.outputs[name];
        assert.ok(got && got.length === want.size, `output ${name}: ${got?.length} values, expected ${want.size}`);
        const d = compareTensors(Tensor.f32(want.shape, got), want, 1e-4, 1e-5);
        assert.equal(d.mismatches, 0, `${folder} output ${name} on ${result.adapter}: ${d.mismatches}/${d.count} differ, max abs ${d.maxAbs}, max rel ${d.maxRel}`);
      }
    } finally {
      await ort.release();
    }
  });
}
