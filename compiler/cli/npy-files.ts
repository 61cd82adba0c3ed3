import { readFileSync } from 'node:fs';
import { VitcError } from '../../ir/errors.js';
import { Tensor } from '../../ir/tensor.js';
import { readNpy, writeNpy } from '../../runtime/npy.js';
import { safeFileName } from './output-files.js';
import { describeSpec, type TensorSpec } from './tensor-specs.js';

/** One `--input NAME=FILE.npy` (or `--input FILE.npy` for a model with one input). */
export interface InputArg {
  readonly name: string | undefined;
  readonly file: string;
}

export function parseInputArg(text: string): InputArg {
  const eq = text.indexOf('=');
  if (eq < 0) return { name: undefined, file: text };
  return { name: text.slice(0, eq), file: text.slice(eq + 1) };
}

/** Reads the --input files, naming the model input each one feeds. */
export function readInputFiles(args: readonly InputArg[], specs: readonly TensorSpec[]): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const a of args) {
    let name = a.name;
    if (name === undefined) {
      if (specs.length !== 1)
        throw new VitcError(`'--input ${a.file}' needs a name (NAME=FILE.npy): the model has ${specs.length} inputs, ${specs.map(describeSpec).join(', ')}`, { context: '--input' });
      name = specs[0]!.name;
    }
    if (out.has(name)) throw new VitcError(`input '${name}' is given twice`, { context: '--input' });
    if (a.file === '') throw new VitcError(`'--input ${name}=' names no file`, { context: '--input' });
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(a.file);
    } catch (e) {
      throw new VitcError(`cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file: a.file });
    }
    out.set(name, readNpy(bytes, a.file));
  }
  return out;
}

/**
 * The .npy file of each output, by file name. Floating outputs are written as float32 (f16 is
 * widened); integer and bool outputs keep their element type.
 */
export function outputNpyFiles(outputs: ReadonlyMap<string, Tensor>): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  for (const [name, t] of outputs) {
    const file = `${safeFileName(name)}.npy`;
    if (files.has(file)) throw new VitcError(`outputs '${name}' and another output map to the same file name ${file}`);
    const f32 = t.dtype === 'f16' ? new Tensor('f32', t.shape, Float32Array.from({ length: t.size }, (_, i) => t.get(i))) : t;
    files.set(file, writeNpy(f32));
  }
  return files;
}
