import { posix, win32 } from 'node:path';

/**
 * Why a `weights "..."` path is unacceptable, or undefined when it is fine. The path is relative to
 * the .vir file's folder and may not leave it: a text IR file must never make vitc read (or, when
 * written, clobber) files elsewhere.
 */
export function weightsPathProblem(path: string): string | undefined {
  if (path === '') return 'the weights path is empty';
  if (path.includes('\0')) return 'the weights path contains a NUL character';
  if (path.includes('\\')) return `the weights path "${path}" contains '\\'; use '/' to separate folders`;
  if (posix.isAbsolute(path) || win32.isAbsolute(path)) return `the weights path "${path}" is absolute; it must be relative to the .vir file's folder`;
  const norm = posix.normalize(path);
  if (norm === '..' || norm.startsWith('../')) return `the weights path "${path}" leads outside the .vir file's folder`;
  if (norm === '.' || norm.endsWith('/')) return `the weights path "${path}" names a folder, not a file`;
  return undefined;
}
