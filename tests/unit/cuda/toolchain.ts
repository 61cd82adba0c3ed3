import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { TestContext } from 'node:test';

/** Output of a finished child process. */
export interface RunResult {
  readonly code: number | null;
  readonly output: string;
}

/** Runs a command (asynchronously, so two can overlap on two cores), collecting stdout + stderr. */
export function runCommand(cmd: string, args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

export function hasCommand(cmd: string): boolean {
  const r = spawnSync(cmd, ['--version'], { encoding: 'utf8' });
  return r.status === 0;
}

/**
 * nvcc is installed on the development machines but not on CI (Debian without CUDA). Without it
 * the CUDA compile tests are skipped with the reason shown, unless VITC_REQUIRE_NVCC=1 makes its
 * absence a failure (set it wherever nvcc is meant to be present).
 */
export function requireNvcc(t: TestContext): boolean {
  if (hasCommand('nvcc')) return true;
  if (process.env.VITC_REQUIRE_NVCC === '1') throw new Error('nvcc was not found on PATH and VITC_REQUIRE_NVCC=1 requires it');
  t.skip('nvcc not found on PATH (CUDA toolkit absent); set VITC_REQUIRE_NVCC=1 to make this a failure');
  return false;
}

/** Register use and spills of one kernel for one architecture, from `ptxas -v`. */
export interface PtxasUsage {
  readonly kernel: string;
  readonly arch: string;
  readonly registers: number;
  readonly spillStores: number;
  readonly spillLoads: number;
  readonly stackFrame: number;
}

/**
 * Parses `ptxas info` lines (nvcc -Xptxas -v): "Compiling entry function 'K' for 'sm_80'", then
 * "N bytes stack frame, N bytes spill stores, N bytes spill loads" and "Used N registers".
 */
export function parsePtxasInfo(text: string): PtxasUsage[] {
  const out: PtxasUsage[] = [];
  let current: { kernel: string; arch: string; stackFrame?: number; spillStores?: number; spillLoads?: number } | undefined;
  for (const line of text.split('\n')) {
    const entry = /Compiling entry function '([^']+)' for '(sm_\d+a?)'/.exec(line);
    if (entry) {
      current = { kernel: entry[1]!, arch: entry[2]! };
      continue;
    }
    const spill = /(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads/.exec(line);
    if (spill && current) {
      current.stackFrame = Number(spill[1]);
      current.spillStores = Number(spill[2]);
      current.spillLoads = Number(spill[3]);
      continue;
    }
    const used = /Used (\d+) registers/.exec(line);
    if (used && current && current.spillStores !== undefined) {
      out.push({ kernel: current.kernel, arch: current.arch, registers: Number(used[1]), spillStores: current.spillStores, spillLoads: current.spillLoads!, stackFrame: current.stackFrame! });
      current = undefined;
    }
  }
  return out;
}

/** Lines nvcc/ptxas report as errors (or fatal). */
export function errorLines(text: string): string[] {
  return text.split('\n').filter((l) => /\b(error|fatal)\b/i.test(l) && !/\b0 errors?\b/.test(l));
}

/** The architectures the CUDA tests compile for. */
export const CUDA_ARCHS = ['sm_80', 'sm_90'] as const;

/**
 * Compiles `dir/kernels.cu` to a fatbin for CUDA_ARCHS (one front-end pass to compute_80 PTX,
 * which the kernels need no more than, then ptxas per architecture) and asserts that nvcc reports
 * no errors, and that ptxas reports every kernel in `kernels` on every architecture without
 * spills. Returns the ptxas usage. `what` names the build in messages.
 */
export async function assertCompilesWithoutSpills(dir: string, kernels: readonly string[], what: string): Promise<PtxasUsage[]> {
  const r = await runCommand('nvcc', ['-fatbin', '-gencode', `arch=compute_80,code=[${CUDA_ARCHS.join(',')}]`, '-Xptxas', '-v', 'kernels.cu', '-o', 'kernels.fatbin'], { cwd: dir });
  assert.deepEqual(errorLines(r.output), [], `${what}: nvcc reported errors`);
  assert.equal(r.code, 0, `${what}: nvcc failed:\n${r.output.slice(0, 4000)}`);
  const usage = parsePtxasInfo(r.output);
  for (const arch of CUDA_ARCHS)
    for (const kernel of kernels) {
      const u = usage.find((x) => x.kernel === kernel && x.arch === arch);
      assert.ok(u, `${what}: no ptxas report for ${kernel} on ${arch}`);
      assert.ok(u.spillStores === 0 && u.spillLoads === 0, `${what}: ${kernel} spills on ${arch} (${u.spillStores} bytes stored, ${u.spillLoads} loaded, ${u.registers} registers)`);
    }
  return usage;
}

/** Runs jobs with at most `width` in flight (the machines have two cores), results in order. */
export async function inPool<T>(jobs: readonly (() => Promise<T>)[], width = 2): Promise<T[]> {
  const results = new Array<T>(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, jobs.length) }, worker));
  return results;
}
