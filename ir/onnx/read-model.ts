import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { VitcError } from '../errors.js';
import { checkExternalData } from './external-data.js';
import { DECODE_OPTIONS, modelProtoType, type OnnxGraph, type OnnxModel, type OnnxTensor } from './schema.js';

/** ONNX IR versions vitc reads: 7 (opset 13's) up to 10. */
export const MIN_IR_VERSION = 7;
export const MAX_IR_VERSION = 10;
/** Default-domain opsets the importer supports. */
export const MIN_OPSET = 13;
export const MAX_OPSET = 18;

/** A decoded and validated model, with what the importer needs to resolve external data. */
export interface LoadedModel {
  readonly model: OnnxModel;
  readonly graph: OnnxGraph;
  /** The file name for messages (or a caller-given label). */
  readonly file: string;
  /** Folder that external-data locations are relative to; undefined for in-memory models. */
  readonly dir: string | undefined;
  /** Opset of the default ONNX domain. */
  readonly opset: number;
}

/** Reads and validates an ONNX file; external data lives next to it. */
export function readOnnxFile(path: string): LoadedModel {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new VitcError(code === 'ENOENT' ? 'no such file' : `cannot read the file (${code ?? (e as Error).message})`, { file: path });
  }
  return readOnnxBytes(bytes, { file: path, dir: dirname(resolve(path)) });
}

export interface ReadOptions {
  /** Name used in messages. */
  readonly file?: string;
  /** Folder for external data; without it a model referring to external data is rejected. */
  readonly dir?: string;
}

/** Decodes and validates ModelProto bytes. Every failure is a one-line VitcError naming the file. */
export function readOnnxBytes(bytes: Uint8Array, opts: ReadOptions = {}): LoadedModel {
  const file = opts.file ?? '<memory>';
  const where = { file };
  const model = decode(bytes, file);

  const missing: string[] = [];
  if (model.irVersion === undefined) missing.push('no ir_version');
  if (!model.graph) missing.push('no graph');
  if (!model.opsetImport?.length) missing.push('no opset_import');
  if (missing.length === 3) throw new VitcError(`not an ONNX model (${missing.join(', ')})${sniff(bytes)}`, where);
  if (missing.length) throw new VitcError(`malformed ONNX model: ${missing.join(', ')}`, where);

  const ir = model.irVersion!;
  if (ir < MIN_IR_VERSION || ir > MAX_IR_VERSION)
    throw new VitcError(`unsupported ONNX IR version ${ir} (vitc reads IR versions ${MIN_IR_VERSION} to ${MAX_IR_VERSION})`, where);

  const opset = defaultOpset(model, file);
  const graph = model.graph!;
  checkGraphShape(graph, file);
  checkDomains(graph, model, file);
  if (graph.sparseInitializer?.length) throw new VitcError('sparse initializers are not supported', where);

  const tensors = externalTensors(graph);
  if (tensors.length) {
    if (opts.dir === undefined)
      throw new VitcError(`tensor '${tensors[0]!.name ?? '?'}' uses external data, but the model was not read from a file`, where);
    for (const t of tensors) checkExternalData(t, opts.dir, file);
  }
  return { model, graph, file, dir: opts.dir, opset };
}

function decode(bytes: Uint8Array, file: string): OnnxModel {
  const type = modelProtoType();
  try {
    return type.toObject(type.decode(bytes), DECODE_OPTIONS) as OnnxModel;
  } catch (e) {
    const why = (e as Error).message.split('\n')[0];
    throw new VitcError(`not an ONNX model, or a truncated one: protobuf decoding failed (${why})${sniff(bytes)}`, { file });
  }
}

/** A hint about what a non-ONNX file looks like. */
function sniff(bytes: Uint8Array): string {
  const head = Buffer.from(bytes.subarray(0, 16));
  if (head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return '; the file looks like a PNG image';
  if (bytes.length >= 9 && bytes[8] === 0x7b /* '{' */ && head.readBigUInt64LE(0) < BigInt(bytes.length)) return '; the file looks like safetensors';
  if (bytes.length === 0) return '; the file is empty';
  const sample = bytes.subarray(0, 512);
  if (sample.every((b) => b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127))) return '; the file looks like text';
  return '';
}

function defaultOpset(model: OnnxModel, file: string): number {
  let opset: number | undefined;
  for (const o of model.opsetImport!) {
    const domain = o.domain ?? '';
    if (domain !== '' && domain !== 'ai.onnx') continue;
    opset = o.version ?? 0;
  }
  if (opset === undefined) throw new VitcError('the model imports no opset of the default ONNX domain', { file });
  if (opset < MIN_OPSET || opset > MAX_OPSET)
    throw new VitcError(`opset ${opset} of the default ONNX domain is not supported (vitc supports opsets ${MIN_OPSET} to ${MAX_OPSET})`, { file });
  return opset;
}

/** Rejects nodes from other operator domains (custom ops, com.microsoft, model-local functions). */
function checkDomains(graph: OnnxGraph, model: OnnxModel, file: string): void {
  for (const n of graph.node ?? []) {
    const d = n.domain ?? '';
    if (d === '' || d === 'ai.onnx') continue;
    const local = model.functions?.length ? ' or a model-local function' : '';
    throw new VitcError(`operator domain '${d}'${local} is not supported (only the default ONNX domain is)`, {
      file,
      context: `node '${n.name ?? ''}' (${n.opType ?? '?'})`,
    });
  }
}

/** Structural sanity: every node has an op type, values have names. */
function checkGraphShape(graph: OnnxGraph, file: string): void {
  (graph.node ?? []).forEach((n, i) => {
    if (!n.opType) throw new VitcError(`node #${i} ('${n.name ?? ''}') has no op_type`, { file });
    if (!n.output?.length) throw new VitcError(`node '${n.name || `#${i}`}' (${n.opType}) has no outputs`, { file });
  });
  for (const v of [...(graph.input ?? []), ...(graph.output ?? [])]) if (!v.name) throw new VitcError('a graph input or output has no name', { file });
  for (const t of graph.initializer ?? []) if (!t.name) throw new VitcError('an initializer has no name', { file });
}

/** Tensors stored in external files: initializers and Constant node values. */
export function externalTensors(graph: OnnxGraph): OnnxTensor[] {
  const out: OnnxTensor[] = [];
  for (const t of graph.initializer ?? []) if (t.dataLocation === 1) out.push(t);
  for (const n of graph.node ?? []) for (const a of n.attribute ?? []) if (a.t?.dataLocation === 1) out.push(a.t);
  return out;
}
