import { closeSync, openSync, readSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { VitcError } from '../errors.js';
import type { OnnxTensor } from './schema.js';

/** Where an external tensor's bytes are: a file inside the model's folder and a byte range. */
export interface ExternalLocation {
  readonly path: string;
  readonly offset: number;
  /** Undefined: up to the end of the file. */
  readonly length: number | undefined;
  readonly fileSize: number;
}

function entries(t: OnnxTensor): Map<string, string> {
  const m = new Map<string, string>();
  for (const e of t.externalData ?? []) if (e.key) m.set(e.key, e.value ?? '');
  return m;
}

/**
 * Resolves and checks a tensor's external-data reference against the model folder: the location
 * must be relative, must stay inside the folder (no `..` escape, also through symlinks), must
 * exist, and offset/length must lie within the file.
 */
export function checkExternalData(t: OnnxTensor, dir: string, file: string): ExternalLocation {
  const name = t.name ?? '?';
  const bad = (msg: string): never => {
    throw new VitcError(`external data of tensor '${name}': ${msg}`, { file });
  };
  const e = entries(t);
  const location = e.get('location');
  if (!location) bad('no location');
  const loc = location!;
  if (isAbsolute(loc) || /^[A-Za-z]:[\\/]/.test(loc) || loc.startsWith('\\')) bad(`absolute path '${loc}' is not allowed (locations are relative to the model's folder)`);
  const root = resolve(dir);
  const path = resolve(root, loc);
  if (escapes(root, path)) bad(`path '${loc}' points outside the model's folder`);

  let fileSize: number;
  try {
    const real = realpathSync(path);
    if (escapes(realpathSync(root), real)) bad(`path '${loc}' points outside the model's folder (through a link)`);
    const st = statSync(real);
    if (!st.isFile()) bad(`'${loc}' is not a file`);
    fileSize = st.size;
  } catch (err) {
    if (err instanceof VitcError) throw err;
    return bad(`file '${loc}' not found next to the model`);
  }

  const offset = parseInteger(e.get('offset'), 'offset', bad) ?? 0;
  const length = parseInteger(e.get('length'), 'length', bad);
  if (offset > fileSize) bad(`offset ${offset} is beyond the end of '${loc}' (${fileSize} bytes)`);
  if (length !== undefined && offset + length > fileSize)
    bad(`bytes ${offset}..${offset + length} are beyond the end of '${loc}' (${fileSize} bytes)`);
  return { path, offset, length, fileSize };
}

function escapes(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel);
}

function parseInteger(s: string | undefined, what: string, bad: (m: string) => never): number | undefined {
  if (s === undefined) return undefined;
  if (!/^\d+$/.test(s.trim())) bad(`${what} '${s}' is not a non-negative integer`);
  const v = Number(s.trim());
  if (!Number.isSafeInteger(v)) bad(`${what} ${s} is too large`);
  return v;
}

/** Reads the byte range of an external tensor (checked again: the folder may have changed). */
export function readExternalData(t: OnnxTensor, dir: string, file: string): Uint8Array {
  const loc = checkExternalData(t, dir, file);
  const length = loc.length ?? loc.fileSize - loc.offset;
  const out = new Uint8Array(length);
  const fd = openSync(loc.path, 'r');
  try {
    let done = 0;
    while (done < length) {
      const n = readSync(fd, out, done, length - done, loc.offset + done);
      if (n === 0) break;
      done += n;
    }
    if (done !== length) throw new VitcError(`external data of tensor '${t.name ?? '?'}': short read (${done} of ${length} bytes)`, { file });
  } finally {
    closeSync(fd);
  }
  return out;
}
