import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { VitcError } from '../../ir/errors.js';
import type { Graph } from '../../ir/graph.js';

export type ModelKind = 'onnx' | 'vir' | 'artifact';

/**
 * What a model path names: a compiled artifact folder (it has manifest.json), a text IR file
 * (`.vir`), or else an ONNX file (the ONNX reader names other kinds of file it is given).
 */
export function modelKind(path: string): ModelKind {
  if (existsSync(path) && statSync(path).isDirectory()) {
    if (existsSync(join(path, 'manifest.json'))) return 'artifact';
    throw new VitcError('is a folder without manifest.json: expected an .onnx or .vir file or a compiled artifact folder', { file: path });
  }
  return path.endsWith('.vir') ? 'vir' : 'onnx';
}

/** The `format` field of an artifact folder's manifest.json, or undefined where it has none. */
export function artifactFormat(dir: string): string | undefined {
  try {
    const format = (JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { format?: unknown }).format;
    return typeof format === 'string' ? format : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads an ONNX or text IR model into a verified graph. Each reader is loaded only when needed:
 * the text IR parser (chevrotain) alone costs about half a second per process.
 */
export async function loadGraph(path: string): Promise<Graph> {
  const kind = modelKind(path);
  if (kind === 'artifact') throw new VitcError('is a compiled artifact; this command needs an .onnx or .vir model', { file: path });
  if (kind === 'vir') return (await import('../../ir/text/index.js')).readVir(path);
  return (await import('../../ir/onnx/index.js')).importOnnxFile(path);
}
