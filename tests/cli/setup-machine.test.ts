import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { repoPath } from '../helpers/paths.js';
import { scratchDir } from './vitc-process.js';

const run = promisify(execFile);
const SCRIPT = repoPath('tests', 'setup-machine.sh');
const dir = scratchDir('vitc-setup-');
after(() => rmSync(dir, { recursive: true, force: true }));

/** A fake command on PATH: a bash script body; its arguments are appended to calls.log. */
function shim(name: string, body: string): void {
  const path = join(dir, name);
  writeFileSync(path, `#!/usr/bin/env bash\necho "${name} $*" >> ${join(dir, 'calls.log')}\n${body}\n`);
  chmodSync(path, 0o755);
}

test('setup-machine.sh installs only the missing packages, quietly, and is silent when nothing is missing', async () => {
  // dpkg-query says chromium and libvulkan1 are missing; apt-get and id are fakes.
  shim('dpkg-query', 'case "$*" in *chromium*|*libvulkan1*) echo -n not-installed;; *) echo -n installed;; esac');
  shim('apt-get', 'exit 0');
  shim('id', 'echo 0');
  const env = { ...process.env, PATH: `${dir}:${process.env.PATH}` };
  const first = await run('bash', [SCRIPT], { env });
  assert.equal(first.stdout, 'setup-machine.sh: installing libvulkan1 chromium\n');
  assert.equal(first.stderr, '');
  const calls = readFileSync(join(dir, 'calls.log'), 'utf8').split('\n').filter((l) => l.startsWith('apt-get'));
  assert.deepEqual(calls, ['apt-get update -qq', 'apt-get install -y -qq libvulkan1 chromium']);

  // Everything installed: no output, no apt-get.
  rmSync(join(dir, 'calls.log'));
  shim('dpkg-query', 'echo -n installed');
  const second = await run('bash', [SCRIPT], { env });
  assert.equal(second.stdout + second.stderr, '');
  assert.doesNotMatch(readFileSync(join(dir, 'calls.log'), 'utf8'), /apt-get/);
});

test('setup-machine.sh as a non-root user with packages missing says what to do and fails', async () => {
  shim('dpkg-query', 'echo -n not-installed');
  shim('id', 'echo 1000');
  const env = { ...process.env, PATH: `${dir}:${process.env.PATH}` };
  await assert.rejects(run('bash', [SCRIPT], { env }), (e: { code: number; stderr: string }) => {
    assert.equal(e.code, 1);
    assert.match(e.stderr, /^setup-machine\.sh: missing Debian packages: libegl1 libegl-mesa0 libgl1-mesa-dri libvulkan1 chromium; run this script as root/);
    return true;
  });
});
