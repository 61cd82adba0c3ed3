import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ArtifactManifest } from '../../../runtime/webgpu/artifact-manifest.js';
import { copyRuntimeFiles } from '../../../runtime/webgpu/runtime-files.js';
import { repoPath } from '../../helpers/paths.js';
import { sha256, type MlpCase } from './mlp-case.js';

/** A safetensors file (8-byte header length, JSON header padded to 8 bytes, data). */
export function safetensorsBytes(tensors: ReadonlyMap<string, { dtype: string; shape: number[]; data: Uint8Array }>): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let at = 0;
  for (const [key, t] of tensors) {
    header[key] = { dtype: t.dtype, shape: t.shape, data_offsets: [at, at + t.data.byteLength] };
    at += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + at);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let p = 8 + headerBytes.length;
  for (const t of tensors.values()) {
    out.set(t.data, p);
    p += t.data.byteLength;
  }
  return out;
}

export interface ArtifactFolder {
  readonly dir: string;
  remove(): void;
}

/**
 * Writes the MLP case as a compiled artifact would be laid out (manifest, .wgsl files, safetensors,
 * runtime files) into a fresh temporary folder. `node_modules` is linked in so that runtime.js
 * finds the `webgpu` package the way it would in a user's project.
 */
export function writeArtifact(c: MlpCase): ArtifactFolder {
  const dir = mkdtempSync(join(tmpdir(), 'vitc-artifact-'));
  const files: Record<string, string> = {};
  const write = (name: string, bytes: Uint8Array | string) => {
    writeFileSync(join(dir, name), bytes);
    files[name] = sha256(bytes);
  };
  for (const p of c.plan.programs) if (p.file && !(p.file in files)) write(p.file, c.sources.get(p.id)!);
  const shapes: Record<string, number[]> = { w1: [37, 70], b1: [70], w2: [70, 10], b2: [10] };
  write(
    'weights.safetensors',
    safetensorsBytes(new Map([...c.weights].map(([key, data]) => [key, { dtype: 'F32', shape: shapes[key] ?? [data.byteLength / 4], data }]))),
  );
  const manifest: ArtifactManifest = { format: 'vitc-webgpu-artifact/1', plan: c.plan, weights: 'weights.safetensors', files };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 1));
  copyRuntimeFiles(dir);
  symlinkSync(repoPath('node_modules'), join(dir, 'node_modules'), 'dir');
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
