import assert from 'node:assert/strict';
import { join } from 'node:path';
import { repoPath } from '../../helpers/paths.js';
import { hasCommand, runCommand } from './toolchain.js';

/** Folder of the CPU emulation's `cuda_runtime.h` (test support, not shipped). */
export const EMULATION_INCLUDE = repoPath('tests', 'unit', 'cuda', 'emulation');

/**
 * Compiles CUDA sources in `dir` as plain C++ against the CPU emulation and links them into
 * `dir/exe`. Each file compiles in its own g++ process (two cores); -O0 because compile time
 * dominates: the emulated models run in milliseconds.
 */
export async function buildEmulated(dir: string, sources: readonly string[], exe: string): Promise<string> {
  // Unlike nvcc, g++ is part of every supported build machine: its absence is a failure, not a skip.
  if (!hasCommand('g++')) throw new Error('g++ not found on PATH: the CUDA emulation tests compile the generated CUDA as C++ (Debian: apt-get install g++)');
  const flags = ['-std=c++17', '-O0', '-g0', '-I', EMULATION_INCLUDE, '-include', 'cuda_runtime.h'];
  const objects = sources.map((s) => `${s}.o`);
  const compile = (s: string) => runCommand('g++', [...flags, '-x', 'c++', '-c', s, '-o', `${s}.o`], { cwd: dir });
  const results = [];
  for (let i = 0; i < sources.length; i += 2) results.push(...(await Promise.all(sources.slice(i, i + 2).map(compile))));
  results.forEach((r, i) => assert.equal(r.code, 0, `g++ (CUDA emulation) failed on ${sources[i]}:\n${r.output.slice(0, 4000)}`));
  const link = await runCommand('g++', [...objects, '-o', exe], { cwd: dir });
  assert.equal(link.code, 0, `linking ${exe} failed:\n${link.output.slice(0, 4000)}`);
  return join(dir, exe);
}
