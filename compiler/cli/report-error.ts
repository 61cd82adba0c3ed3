import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommanderError } from 'commander';
import { CheckFailed, VitcError } from '../../ir/errors.js';
import { WebGpuRuntimeError } from '../../runtime/webgpu/executor.js';
import type { PassFailure } from '../pass-manager.js';
import { isSystemError, systemErrorText } from './system-errors.js';

/** Exit statuses of every vitc program. */
export const EXIT = {
  ok: 0,
  /** A check the user asked for failed (verify over tolerance). */
  checkFailed: 1,
  /** Bad input or usage: the message says what to change. */
  badInput: 2,
  /** A bug in vitc. */
  internal: 3,
} as const;

export interface FailureReport {
  readonly exitCode: number;
  /** What goes to stderr: one line, plus stack traces with --debug. Empty for --help/--version. */
  readonly text: string;
}

/** Where a commander parse error happened ("run", "verify"): commander's errors do not say. */
export interface UsageContext {
  readonly command: string | undefined;
  /** The command line that shows help (default `vitc COMMAND --help`). */
  readonly help?: string;
}

/**
 * Turns anything thrown by a vitc program into its exit status and the text for stderr:
 * `vitc: error: <location>: <message>` on one line, never a stack trace unless `debug`.
 * The pass manager and the text IR writer are loaded only for internal errors: the text IR
 * parser is costly to set up, and most runs never need it.
 */
export async function reportFailure(e: unknown, debug: boolean, usage: UsageContext = { command: undefined }): Promise<FailureReport> {
  if (e instanceof CommanderError) {
    if (e.exitCode === 0) return { exitCode: EXIT.ok, text: '' };
    const where = usage.command ? `${usage.command}: ` : '';
    const help = usage.help ?? (usage.command ? `vitc ${usage.command} --help` : 'vitc --help');
    // 'commander.help' with a non-zero status: no subcommand was given.
    const message = e.code === 'commander.help' ? 'no command given' : oneLine(e.message.replace(/^error: /, ''));
    return { exitCode: EXIT.badInput, text: `vitc: error: ${where}${message} (see '${help}')\n` };
  }
  if (e instanceof CheckFailed) return line(EXIT.checkFailed, e.message, e, debug);
  if (e instanceof VitcError || e instanceof WebGpuRuntimeError) return line(EXIT.badInput, e.message, e, debug);
  if (isSystemError(e)) {
    const where = e.path ? `${e.path}: ` : '';
    return line(EXIT.badInput, `${where}${systemErrorText(e)}`, e, debug);
  }
  const [{ PassFailure }, { formatEntry }] = await Promise.all([import('../pass-manager.js'), import('../pipeline.js')]);
  if (e instanceof PassFailure) {
    const repro = await writeReproducer(e);
    const replay = repro ? `; reproducer: ${repro} (replay: vitc opt ${repro} -p '${formatEntry(e.entry)}' -o out.vir)` : '';
    return line(EXIT.internal, `internal error: ${e.message}${replay}${debug ? '' : '; run with --debug for the stack trace'}`, e, debug);
  }
  const message = e instanceof Error ? `${e.name === 'Error' ? '' : `${e.name}: `}${e.message}` : String(e);
  return line(EXIT.internal, `internal error: ${message}${debug ? '' : ' (a vitc bug; run with --debug for the stack trace)'}`, e, debug);
}

function line(exitCode: number, message: string, e: unknown, debug: boolean): FailureReport {
  const text = `vitc: error: ${oneLine(message)}\n`;
  return { exitCode, text: debug ? text + stackText(e) : text };
}

/** Messages are meant to be one line already; a stray newline must not break the format. */
function oneLine(s: string): string {
  return s.trim().replace(/\s*\n\s*/g, '; ');
}

function stackText(e: unknown): string {
  let out = '';
  for (let cur: unknown = e, depth = 0; cur instanceof Error && depth < 5; cur = cur.cause, depth++)
    out += `${depth ? 'caused by: ' : ''}${cur.stack ?? `${cur.name}: ${cur.message}`}\n`;
  return out;
}

/** The failing pass's input graph as a .vir file in the temp folder, or undefined if that fails too. */
async function writeReproducer(e: PassFailure): Promise<string | undefined> {
  try {
    const { writeVir } = await import('../../ir/text/index.js');
    const dir = mkdtempSync(join(tmpdir(), 'vitc-reproducer-'));
    const path = join(dir, 'input.vir');
    writeVir(path, e.input);
    return path;
  } catch {
    return undefined;
  }
}
