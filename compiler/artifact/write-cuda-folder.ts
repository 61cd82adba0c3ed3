import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CUDA_ARTIFACT_FORMAT, type CudaCompileResult } from '../compile-cuda.js';
import { replaceFolder } from './replace-folder.js';

/** Says why `dir` must not be replaced: it is not a CUDA artifact vitc wrote, or holds other files. */
function refuseUnlessCudaArtifact(dir: string, entries: readonly string[]): string | undefined {
  let manifest: { format?: unknown; files?: unknown } | undefined;
  try {
    manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { format?: unknown; files?: unknown };
  } catch {
    manifest = undefined;
  }
  if (manifest?.format !== CUDA_ARTIFACT_FORMAT || !manifest.files || typeof manifest.files !== 'object') {
    return `${dir} is not empty and is not a vitc CUDA artifact (no manifest.json of format ${CUDA_ARTIFACT_FORMAT}); refusing to replace it`;
  }
  const ours = new Set(['manifest.json', ...Object.keys(manifest.files)]);
  const foreign = entries.filter((e) => !ours.has(e));
  if (foreign.length) return `${dir} holds files its manifest does not list (${foreign.slice(0, 5).join(', ')}); refusing to replace it — move them out or choose another folder`;
  return undefined;
}

/**
 * `vitc compile --target cuda -o DIR`: the same files as writeCudaArtifact, but the folder is
 * replaced as a whole (all or nothing), and only if it is empty or a CUDA artifact vitc wrote.
 */
export function writeCudaFolder(dir: string, compiled: Pick<CudaCompileResult, 'files'>): string[] {
  replaceFolder(dir, compiled.files, refuseUnlessCudaArtifact);
  return [...compiled.files.keys()].sort();
}
