import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VitcError } from '../../ir/errors.js';
import { isSystemError, systemErrorText } from './system-errors.js';

/*
 * Outputs appear whole or not at all: everything is written under temporary names in the
 * destination folder (same file system, so renames are atomic) and renamed into place last.
 */

function tempName(dir: string, name: string): string {
  return join(dir, `.${name}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/** Writes `files` (name → contents) into `dir`, creating it; on failure none of them is left. */
export function writeFilesAtomically(dir: string, files: ReadonlyMap<string, string | Uint8Array>): string[] {
  const written: { tmp: string; final: string }[] = [];
  try {
    mkdirSync(dir, { recursive: true });
    for (const [name, data] of files) {
      const entry = { tmp: tempName(dir, name), final: join(dir, name) };
      written.push(entry);
      writeFileSync(entry.tmp, data);
    }
    for (const w of written) renameSync(w.tmp, w.final);
  } catch (e) {
    for (const w of written) rmSync(w.tmp, { force: true });
    throw cannotWrite(dir, e);
  }
  return written.map((w) => w.final);
}

/** A file name for a tensor name: characters other than letters, digits, '.', '-', '_' become '_'. */
export function safeFileName(name: string): string {
  const s = name.replace(/[^A-Za-z0-9._-]/g, '_');
  return s === '' || s === '.' || s === '..' ? `_${s}` : s;
}

/**
 * A file-system failure while writing an output, reported against the path the user gave (the
 * writers' temporary names mean nothing to them); anything else is passed on unchanged.
 */
export function cannotWrite(output: string, e: unknown): unknown {
  if (!isSystemError(e)) return e;
  // mkdir -p over a path with a file in the middle reports EEXIST, which reads as nonsense.
  if (e.code === 'EEXIST' && e.syscall === 'mkdir') return new VitcError('cannot write output: a path component is a file, not a folder', { file: output });
  return new VitcError(`cannot write output: ${systemErrorText(e)}`, { file: output });
}

/** Runs a writer of `output`, turning its file-system failures into one clear VitcError. */
export async function writingOutput<T>(output: string, write: () => T | Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (e) {
    throw cannotWrite(output, e);
  }
}
