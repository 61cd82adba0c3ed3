import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/*
 * The bench's set-up step for full-size models: make_bench_models.py needs Python with torch,
 * torchvision and onnx. On Debian they come from apt (python3-torch, python3-torchvision,
 * python3-onnx, for /usr/bin/python3); the bench installs them when they are missing, the model
 * has to be exported, and the user did not say --no-install.
 */

export const DEBIAN_PACKAGES = ['python3-torch', 'python3-torchvision', 'python3-onnx'] as const;
export const DEBIAN_PYTHON = '/usr/bin/python3';

/** The interpreter to export with: VITC_PYTHON, else Debian's, else whatever `python3` is. */
export function exportPython(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return env.VITC_PYTHON ?? (existsSync(DEBIAN_PYTHON) ? DEBIAN_PYTHON : 'python3');
}

export function hasExportModules(python: string): boolean {
  const r = spawnSync(python, ['-c', 'import onnx, torch, torchvision'], { stdio: 'ignore' });
  return r.status === 0;
}

/** The command that installs the packages: apt-get as root, else through `sudo -n` (never prompts). */
export function aptCommand(isRoot: boolean): { command: string; args: string[] } {
  const apt = ['apt-get', 'install', '-y', '--no-install-recommends', ...DEBIAN_PACKAGES];
  return isRoot ? { command: apt[0]!, args: apt.slice(1) } : { command: 'sudo', args: ['-n', ...apt] };
}

/**
 * Makes sure `python` can import torch, torchvision and onnx, installing Debian's packages with
 * apt-get when it is Debian's Python and `allowInstall`. Returns why it could not, or undefined.
 */
export function ensureExportModules(python: string, allowInstall: boolean, log: (line: string) => void): string | undefined {
  if (hasExportModules(python)) return undefined;
  const hint = `apt-get install ${DEBIAN_PACKAGES.join(' ')}`;
  if (!allowInstall) return `${python} cannot import torch, torchvision and onnx (install them: \`${hint}\`)`;
  if (python !== DEBIAN_PYTHON) return `${python} cannot import torch, torchvision and onnx, and apt only installs them for ${DEBIAN_PYTHON}`;
  if (spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status !== 0) return `no apt-get here to install them (\`${hint}\` on Debian)`;
  const isRoot = process.getuid?.() === 0;
  const { command, args } = aptCommand(isRoot);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  log(`installing ${DEBIAN_PACKAGES.join(', ')} with apt-get (about 1 GB; --no-install to refuse)`);
  let r = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'inherit'], env });
  if (r.status !== 0) {
    // A fresh machine may have no package lists yet.
    log('apt-get install failed; running apt-get update and trying once more');
    const update = isRoot ? { command: 'apt-get', args: ['update'] } : { command: 'sudo', args: ['-n', 'apt-get', 'update'] };
    spawnSync(update.command, update.args, { stdio: ['ignore', 'ignore', 'inherit'], env });
    r = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'inherit'], env });
  }
  if (r.status !== 0) return `\`${[command, ...args].join(' ')}\` failed (exit ${r.status ?? r.signal})`;
  return hasExportModules(python) ? undefined : `${python} still cannot import torch, torchvision and onnx after installing ${DEBIAN_PACKAGES.join(' ')}`;
}
