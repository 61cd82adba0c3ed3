import { copyFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The compiled runtime files a WebGPU artifact ships, by their name in the artifact. They import
 * only each other (relative, same folder), Node built-ins and the `webgpu` package (Node only),
 * so the folder runs as it is: `import { loadArtifact } from './runtime.js'`.
 */
export const RUNTIME_FILES: Readonly<Record<string, string>> = {
  'runtime.js': 'artifact-runtime.js',
  'executor.js': 'executor.js',
  'device-request.js': 'device-request.js',
  'dawn-adapters.js': 'dawn-adapters.js',
};

/** Where the compiled runtime files are (next to this compiled file). */
export function runtimeFilesDir(): string {
  return dirname(fileURLToPath(import.meta.url));
}

/** Copies the runtime into an artifact folder; returns the names written. */
export function copyRuntimeFiles(destDir: string): string[] {
  const from = runtimeFilesDir();
  for (const [name, source] of Object.entries(RUNTIME_FILES)) copyFileSync(join(from, source), join(destDir, name));
  return Object.keys(RUNTIME_FILES);
}
