import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { renderModelDeclarations } from '../../compiler/artifact/model-declarations.js';
import { renderModelModule } from '../../compiler/artifact/model-module.js';
import type { ModelSignature } from '../../compiler/artifact/model-signature.js';
import { repoPath } from '../helpers/paths.js';
import { scratchFolder, writeFixtureArtifact } from './fixture-artifact.js';

/*
 * model.d.ts as a TypeScript user meets it: consumer files in a project outside the repository
 * (no node_modules, no @types) are checked with `tsc --noEmit --strict` against the artifact.
 */

const execFileP = promisify(execFile);
const TSC = repoPath('node_modules', 'typescript', 'bin', 'tsc');
const WEBGPU_TYPES = repoPath('node_modules', '@webgpu', 'types', 'dist', 'index.d.ts');

const project = scratchFolder('vitc-types-');

after(() => project.remove());

/** Type-checks one consumer file; returns tsc's exit code and its diagnostics. */
async function typeCheck(file: string, source: string, lib: readonly string[] = ['es2022']): Promise<{ code: number; output: string }> {
  writeFileSync(join(project.path, file), source);
  const config = join(project.path, `${file}.tsconfig.json`);
  writeFileSync(
    config,
    JSON.stringify({
      compilerOptions: { target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', lib, types: [], noEmit: true, strict: true },
      files: [file],
    }),
  );
  try {
    const { stdout } = await execFileP(process.execPath, [TSC, '-p', config, '--noEmit', '--strict', '--pretty', 'false'], { cwd: project.path });
    return { code: 0, output: stdout };
  } catch (e) {
    const err = e as { code?: number; stdout?: string };
    return { code: err.code ?? -1, output: err.stdout ?? String(e) };
  }
}

const GOOD = `import { batch, inputs, load, outputs, type ModelInputs, type ModelOutputs } from './mnist/model.js';

const shape: readonly [1, 1, 28, 28] = inputs[0].shape;
const logitsShape: readonly [1, 10] = outputs[0].shape;
const inputName: 'x' = inputs[0].name;
const one: 1 = batch;
const model = await load({ adapter: 'swiftshader', verify: true });
const feeds: ModelInputs = { x: new Float32Array(784) };
const out: ModelOutputs = await model.run(feeds);
const logits: Float32Array = out.logits;
const adapterName: string | undefined = model.adapter?.name;
model.destroy();
export const seen = [shape, logitsShape, inputName, one, logits[0], adapterName];
`;

const BAD = `import { inputs, load } from './mnist/model.js';
const model = await load();
const out = await model.run({ pixels: new Float32Array(784) });
export const probabilities = out.probabilities;
export const shape: readonly [1, 3, 28, 28] = inputs[0].shape;
`;

const DEVICE = `/// <reference path=${JSON.stringify(WEBGPU_TYPES)} />
import { load } from './mnist/model.js';
declare const device: GPUDevice;
const model = await load({ device });
model.destroy();
await load({ device: { label: 'not a device' } });
`;

/** Names that are not identifiers, a name that would end a comment, and every dtype but f32. */
const ODD: ModelSignature = {
  name: 'odd */ model\nname',
  batch: 3,
  vitcVersion: '0.0.0-test',
  inputs: [
    { name: 'input.1', dtype: 'f16', shape: [3, 2] },
    { name: 'mask', dtype: 'i32', shape: [3] },
  ],
  outputs: [{ name: 'out-put', dtype: 'u32', shape: [3, 4] }],
};

const ODD_CONSUMER = `import { load, inputs, name } from './odd/model.js';
const model = await load();
const out = await model.run({ 'input.1': new Uint16Array(6), mask: new Int32Array(3) });
export const values: Uint32Array = out['out-put'];
export const shape: readonly [3, 2] = inputs[0].shape;
export const same: 'odd */ model\\nname' = name;
export const widened = await model.run({ 'input.1': new Float32Array(6), mask: new Int32Array(3) });
`;

/** The tsc runs, started together (each takes seconds) once the artifact is written. */
const checks = new Map<string, Promise<{ code: number; output: string }>>();

before(async () => {
  await writeFixtureArtifact('mnist_vit.onnx', join(project.path, 'mnist'));
  writeFileSync(join(project.path, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  checks.set('good.mts', typeCheck('good.mts', GOOD));
  checks.set('bad.mts', typeCheck('bad.mts', BAD));
  // A browser project: the DOM lib and @webgpu/types.
  checks.set('device.mts', typeCheck('device.mts', DEVICE, ['es2022', 'dom']));
  mkdirSync(join(project.path, 'odd'));
  writeFileSync(join(project.path, 'odd', 'model.d.ts'), renderModelDeclarations(ODD));
  writeFileSync(join(project.path, 'odd', 'model.js'), renderModelModule(ODD));
  checks.set('odd.mts', typeCheck('odd.mts', ODD_CONSUMER));
});

test('model.d.ts type-checks a consumer with tsc --strict and types names, shapes and the batch', async () => {
  const { code, output } = await checks.get('good.mts')!;
  assert.equal(code, 0, `tsc failed:\n${output}`);
});

test('a wrong input name, output name or shape does not type-check', async () => {
  const { code, output } = await checks.get('bad.mts')!;
  assert.notEqual(code, 0, 'tsc accepted wrong names');
  const errors = output.split('\n').filter((l) => l.includes('error TS'));
  assert.match(output, /bad\.mts\(3,\d+\): error TS2353: Object literal may only specify known properties, and 'pixels' does not exist in type 'ModelInputs'/);
  assert.match(output, /bad\.mts\(4,\d+\): error TS2339: Property 'probabilities' does not exist on type 'ModelOutputs'/);
  assert.match(output, /bad\.mts\(5,\d+\): error TS2322: Type 'readonly \[1, 1, 28, 28\]' is not assignable to type 'readonly \[1, 3, 28, 28\]'/);
  assert.equal(errors.length, 3, output);
});

test('with WebGPU types loaded (a browser project: DOM lib and @webgpu/types), options.device is a GPUDevice', async () => {
  const { code, output } = await checks.get('device.mts')!;
  assert.notEqual(code, 0, 'tsc accepted a plain object as GPUDevice');
  const errors = output.split('\n').filter((l) => l.includes('error TS'));
  assert.equal(errors.length, 1, output);
  assert.match(errors[0]!, /device\.mts\(6,\d+\): error TS2740: Type '\{ label: string; \}' is missing the following properties from type 'GPUDevice'/);
});

test('tensor names that are not identifiers and non-f32 dtypes get typed keys and arrays; model.js stays valid', async () => {
  const { code, output } = await checks.get('odd.mts')!;
  assert.equal(code, 0, `tsc failed:\n${output}`);
  // Syntax check of the generated module (its import of ./runtime.js is not resolved by --check).
  await execFileP(process.execPath, ['--check', join(project.path, 'odd', 'model.js')], { cwd: project.path });
});
