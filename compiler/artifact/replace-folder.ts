import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { VitcError } from '../../ir/errors.js';

/**
 * Says why an existing, non-empty folder must not be replaced (undefined: it may be). Called only
 * for folders that exist and hold something.
 */
export type ReplaceCheck = (dir: string, entries: readonly string[]) => string | undefined;

/**
 * Writes `files` as the whole content of folder `dir`, all or nothing: they are written into a
 * fresh folder next to `dir` (same file system), which then takes `dir`'s place by rename. An
 * existing `dir` is moved aside first and restored if the swap fails; it must be empty or pass
 * `check`. Readers never see half a folder; a crash leaves at most a hidden `.NAME.tmp-*` folder.
 */
export function replaceFolder(dir: string, files: ReadonlyMap<string, Uint8Array | string>, check: ReplaceCheck): void {
  const target = resolve(dir);
  const parent = dirname(target);
  const name = basename(target);
  if (existsSync(target)) {
    if (!statSync(target).isDirectory()) throw new VitcError(`${target} exists and is not a folder`);
    const entries = readdirSync(target);
    const refusal = entries.length ? check(target, entries) : undefined;
    if (refusal) throw new VitcError(refusal);
  }
  mkdirSync(parent, { recursive: true });
  const staging = mkdtempSync(join(parent, `.${name}.tmp-`));
  try {
    for (const [path, content] of files) {
      mkdirSync(dirname(join(staging, path)), { recursive: true });
      writeFileSync(join(staging, path), content);
    }
    if (!existsSync(target)) {
      renameSync(staging, target);
      return;
    }
    const aside = `${staging.replace(/\.tmp-([^/\\]+)$/, '.old-$1')}`;
    renameSync(target, aside);
    try {
      renameSync(staging, target);
    } catch (e) {
      renameSync(aside, target);
      throw e;
    }
    rmSync(aside, { recursive: true, force: true });
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
