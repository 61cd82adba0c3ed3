/** Node's errors from the file system (ENOENT, EACCES, ...): caused by the user's paths, not by vitc. */
export interface SystemError extends Error {
  readonly code: string;
  readonly syscall?: string;
  readonly path?: string;
}

export function isSystemError(e: unknown): e is SystemError {
  return e instanceof Error && typeof (e as Partial<SystemError>).code === 'string' && typeof (e as Partial<SystemError>).syscall === 'string';
}

const SYSTEM_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory, expected a file',
  ENOTDIR: 'a path component is not a directory',
  EEXIST: 'already exists',
  ENOSPC: 'no space left on the device',
  EROFS: 'read-only file system',
};

export function systemErrorText(e: SystemError): string {
  return SYSTEM_ERRORS[e.code] ?? `${e.code} (${e.syscall})`;
}
