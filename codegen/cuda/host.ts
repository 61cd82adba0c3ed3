import Handlebars from 'handlebars';
import { cudaSignature } from '../render/cuda.js';
import { CUDA_HEADER_TEMPLATE } from '../render/templates/cuda-header.js';
import { CUDA_LAUNCHER_TEMPLATE } from '../render/templates/cuda-launcher.js';
import { CUDA_MAKEFILE_TEMPLATE } from '../render/templates/cuda-makefile.js';
import { CUDA_RUNNER_TEMPLATE } from '../render/templates/cuda-runner.js';
import type { CudaModel, CudaTensor } from './emit.js';

const options = { noEscape: true, strict: true } as const;
const headerTemplate = Handlebars.compile(CUDA_HEADER_TEMPLATE, options);
const launcherTemplate = Handlebars.compile(CUDA_LAUNCHER_TEMPLATE, options);
const runnerTemplate = Handlebars.compile(CUDA_RUNNER_TEMPLATE, options);
const makefileTemplate = Handlebars.compile(CUDA_MAKEFILE_TEMPLATE, options);

/** Host-side files of a CUDA build. */
export interface CudaHostFiles {
  readonly 'vitc_model.h': string;
  readonly 'launcher.cu': string;
  readonly 'run_model.cu': string;
  readonly Makefile: string;
}

const C_KEYWORDS = new Set(
  'auto bool break case char const continue default do double else enum extern false float for goto if inline int long register restrict return short signed sizeof static struct switch true typedef union unsigned void volatile while model status argc argv files repeats main'.split(' '),
);

/** A C string literal of arbitrary text (non-printable bytes as octal escapes). */
export function cString(text: string): string {
  let out = '"';
  for (const byte of new TextEncoder().encode(text)) {
    const c = String.fromCharCode(byte);
    if (c === '"' || c === '\\') out += `\\${c}`;
    else if (byte >= 0x20 && byte < 0x7f) out += c;
    else out += `\\${byte.toString(8).padStart(3, '0')}`;
  }
  // A '?' pair could start a trigraph in old dialects; split it.
  return `${out.replace(/\?\?/g, '?""?')}"`;
}

/** Text safe inside a one-line C or C++ comment. */
function commentText(text: string): string {
  return text.replace(/[^\x20-\x7e]+/g, ' ').replace(/\*\//g, '* /');
}

/** Distinct C parameter names for the model's inputs and outputs, derived from tensor names. */
function parameterNames(tensors: readonly CudaTensor[]): string[] {
  const taken = new Set<string>();
  return tensors.map((t, i) => {
    let base = t.name.replace(/[^A-Za-z0-9_]/g, '_');
    if (!/^[A-Za-z]/.test(base)) base = `t_${base}`;
    if (C_KEYWORDS.has(base) || base.startsWith('vitc_') || base.includes('__')) base = `t${i}_${base.replace(/__+/g, '_')}`;
    let name = base;
    for (let n = 1; taken.has(name); n++) name = `${base}_${n}`;
    taken.add(name);
    return name;
  });
}

/** Renders the C API header, the launcher, the command-line runner and the Makefile. */
export function renderCudaHost(m: CudaModel): CudaHostFiles {
  const model = commentText(m.name);
  const names = parameterNames([...m.inputs, ...m.outputs]);
  const io = (t: CudaTensor, i: number, argIndex: number) => ({
    name: commentText(t.name).replace(/["\\%]/g, '_'),
    param: names[i]!,
    upper: names[i]!.toUpperCase(),
    ctype: t.dtype === 'f32' ? 'float' : 'int',
    shape: t.shape.join(', '),
    elements: t.shape.reduce((a, b) => a * b, 1),
    offset: t.slice.offset,
    bytes: t.bytes,
    argIndex,
  });
  const inputs = m.inputs.map((t, i) => io(t, i, 2 + i));
  const outputs = m.outputs.map((t, i) => io(t, m.inputs.length + i, 2 + m.inputs.length + i));
  const data = { model, inputs, outputs, inputCount: inputs.length, outputCount: outputs.length };
  const launches = m.launches.map((l, i) => ({
    comment: commentText(`${l.label}: ${l.kernel}`),
    what: cString(`launch ${i + 1} of ${m.launches.length} (${l.label}, kernel ${l.kernel})`),
    kernel: l.kernel,
    grid: l.grid.join(', '),
    block: l.block.join(', '),
    args: l.args.map((a) => ({ type: a.type, region: a.region, offset: a.offset })),
  }));
  return {
    'vitc_model.h': headerTemplate({ ...data, weightsBytes: m.memory.weightsBytes }),
    'launcher.cu': launcherTemplate({
      ...data,
      launchCount: m.launches.length,
      prototypes: m.kernels.map(cudaSignature),
      arenaBytes: m.memory.arenaBytes,
      ioBytes: m.memory.ioBytes,
      launches,
    }),
    'run_model.cu': runnerTemplate(data),
    Makefile: makefileTemplate({ model }),
  };
}
