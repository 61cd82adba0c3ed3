import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { writeWebGpuArtifact } from '../../compiler/artifact/write-artifact.js';
import { compileWebGpu, type WebGpuCompileResult } from '../../compiler/compile-webgpu.js';
import type { Graph } from '../../ir/graph.js';
import { importOnnxFile } from '../../ir/onnx/import.js';
import { FIXTURES } from '../helpers/paths.js';

export interface FixtureArtifact {
  /** The fixture's path. */
  readonly model: string;
  readonly graph: Graph;
  readonly compiled: WebGpuCompileResult;
  /** The artifact folder (inside `root`). */
  readonly dir: string;
  readonly files: readonly string[];
}

/** A scratch folder under the OS temp folder, outside the repository. */
export function scratchFolder(prefix: string): { readonly path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Compiles a fixture (relative to tests/fixtures) for WebGPU and writes its artifact to `dir`. */
export async function writeFixtureArtifact(fixture: string, dir: string, batch = 1): Promise<FixtureArtifact> {
  const model = join(FIXTURES, fixture);
  const graph = importOnnxFile(model);
  const compiled = compileWebGpu(graph, { batch });
  const name = fixture === 'vit_external/model.onnx' ? 'vit_external' : basename(fixture, '.onnx');
  const { files } = await writeWebGpuArtifact(dir, compiled, { modelName: name });
  return { model, graph, compiled, dir, files };
}
