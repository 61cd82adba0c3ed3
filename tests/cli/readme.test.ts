import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { parsePipeline } from '../../compiler/pipeline.js';
import { repoPath } from '../helpers/paths.js';
import { runNode, scratchDir, withoutDawnNoise } from './vitc-process.js';

/* The README's commands and examples, run as written (paths made absolute where the README uses the repository's). */

const README = readFileSync(repoPath('README.md'), 'utf8');
const dir = scratchDir('vitc-readme-');
after(() => rmSync(dir, { recursive: true, force: true }));

/** The fenced blocks of one language under the heading `## title`. */
function blocks(title: string, lang: string): string[] {
  const section = README.split(/^## /m).find((s) => s.startsWith(`${title}\n`));
  assert.ok(section, `README has no section '${title}'`);
  return [...section.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);
}

test('README set-up commands are the scripts package.json and .ci/run have', () => {
  const commands = blocks('Set-up on a fresh Debian 12 machine (Node 20, as root)', 'sh').map((b) => b.trim());
  assert.deepEqual(commands, ['bash tests/setup-machine.sh && npm ci && npm run main', 'bash tests/setup-machine.sh && npm ci && npm test']);
  const scripts = (JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  assert.ok(scripts.main && scripts.test);
  const ci = readFileSync(repoPath('.ci', 'run'), 'utf8');
  assert.match(ci, /^export VITC_REQUIRE_NVCC=1$/m);
  assert.match(ci, /^bash tests\/setup-machine\.sh && npm ci && npm test$/m);
});

test('README pipelines parse', () => {
  const [pipelines] = blocks('Pipelines', '');
  for (const line of pipelines!.trim().split('\n')) assert.doesNotThrow(() => parsePipeline(line), line);
});

test('README library example, then its Node artifact example on the folder it wrote', async () => {
  const [library] = blocks('Library', 'js');
  const [consumer] = blocks('Using a compiled WebGPU artifact', 'js');
  const lib = library!
    .replace("from 'vitc'", `from '${pathToFileURL(repoPath('dist', 'compiler', 'index.js')).href}'`)
    .replace("'tests/fixtures/", `'${repoPath('tests', 'fixtures')}/`);
  writeFileSync(join(dir, 'library.mjs'), lib);
  const a = await runNode(join(dir, 'library.mjs'), [], { cwd: dir });
  assert.equal(a.code, 0, a.stderr);
  assert.match(a.stdout, /^\d+ lines of text IR\nlogits( -?\d+\.\d{3}){10}\n\d+ dispatches per inference\n$/);

  // The artifact's only dependency is the webgpu package, found from its folder.
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(repoPath('node_modules', 'webgpu'), join(dir, 'node_modules', 'webgpu'), 'dir');
  writeFileSync(join(dir, 'consumer.mjs'), consumer!);
  const b = await runNode(join(dir, 'consumer.mjs'), [], { cwd: dir, env: { ...process.env, VITC_ADAPTER: 'llvmpipe' } });
  assert.equal(b.code, 0, b.stderr);
  assert.equal(withoutDawnNoise(b.stderr).trim(), '');
  assert.match(b.stdout, /^on llvmpipe input \[ 1, 1, 28, 28 \] output \[ 1, 10 \]\nFloat32Array\(10\) \[/);
});
