import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { repoPath } from '../helpers/paths.js';

/** The built CLI, run as a user runs it: a separate node process. */
export const VITC = repoPath('dist', 'compiler', 'cli', 'main.js');
export const MAIN_JOB = repoPath('dist', 'compiler', 'main-job.js');

export interface Finished {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a node script with arguments; never rejects (the exit status is part of the result). */
export function runNode(script: string, args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Finished> {
  return new Promise((resolve) => {
    execFile(process.execPath, [script, ...args], { cwd: opts.cwd ?? repoPath(), env: opts.env ?? process.env, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

export function vitc(...args: string[]): Promise<Finished> {
  return runNode(VITC, args);
}

/** The stderr lines vitc itself wrote. */
export function vitcLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.startsWith('vitc:'));
}

/**
 * stderr without Dawn's own diagnostics: when a command touches WebGPU, Dawn's native code prints
 * warnings about the adapters it probes ("Warning: ..." and indented " - While ..." / "at ...cpp"
 * lines), which vitc cannot silence.
 */
export function withoutDawnNoise(stderr: string): string {
  return stderr
    .split('\n')
    .filter((l) => !/^Warning: /.test(l) && !/^ - While /.test(l) && !/^\s+at \S+ \(\S+\.(cpp|h):\d+\)$/.test(l))
    .join('\n');
}

/** A failure as the CLI promises it: the exit status, exactly one stderr line `vitc: error: ...`, no stack trace. */
export function assertOneLineError(r: Finished, code: number, re: RegExp, what: string): void {
  const context = `${what}\nexit ${r.code}\nstderr:\n${r.stderr}\nstdout:\n${r.stdout}`;
  assert.equal(r.code, code, context);
  const stderr = withoutDawnNoise(r.stderr);
  const lines = stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, context);
  assert.match(lines[0]!, /^vitc: error: /, context);
  assert.match(lines[0]!, re, context);
  assert.doesNotMatch(stderr, /\n\s+at /, context);
}

export function scratchDir(prefix = 'vitc-cli-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Names in a folder, for "no output was written" checks. */
export function listing(dir: string): string[] {
  return readdirSync(dir).sort();
}

/** Runs async jobs at most `limit` at a time (the machine has 2 cores; each job is a process). */
export async function inBatches<T>(jobs: readonly (() => Promise<T>)[], limit = 2): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
  return results;
}
