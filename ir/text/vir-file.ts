import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { VitcError } from '../errors.js';
import type { Graph } from '../graph.js';
import { encodeSafetensors, readSafetensors } from '../safetensors.js';
import { parseGraph } from './parse.js';
import { printGraph, type PrintOptions } from './printer.js';

/** Reads `x.vir`, loading out-of-line weights from the file its `weights` clause names (next to it). */
export function readVir(path: string): Graph {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new VitcError(`cannot read text IR file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file: path });
  }
  return parseGraph(text, { file: path, loadWeights: (rel) => readSafetensors(join(dirname(path), rel)).tensors });
}

/** The weights file written beside a .vir file: `x.vir` → `x.safetensors`. */
export function weightsFileFor(virPath: string): string {
  return `${basename(virPath).replace(/\.vir$/, '')}.safetensors`;
}

/**
 * Writes `x.vir` and, when some tensor is out of line, `x.safetensors` beside it. Both are written
 * to temporary files in the same folder and renamed into place (weights first), so a failure never
 * leaves a truncated file behind.
 */
export function writeVir(path: string, g: Graph, opts: Omit<PrintOptions, 'weightsFile'> = {}): void {
  const weightsName = weightsFileFor(path);
  const printed = printGraph(g, { ...opts, weightsFile: weightsName });
  const dir = dirname(path);
  const outputs: { tmp: string; final: string; data: string | Uint8Array }[] = [];
  if (printed.weights.size > 0) outputs.push({ tmp: tempName(dir, weightsName), final: join(dir, weightsName), data: encodeSafetensors(printed.weights) });
  outputs.push({ tmp: tempName(dir, basename(path)), final: path, data: printed.text });
  try {
    for (const o of outputs) writeFileSync(o.tmp, o.data);
    for (const o of outputs) renameSync(o.tmp, o.final);
  } catch (e) {
    for (const o of outputs) rmSync(o.tmp, { force: true });
    throw new VitcError(`cannot write text IR: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file: path });
  }
}

function tempName(dir: string, name: string): string {
  return join(dir, `.${name}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}
