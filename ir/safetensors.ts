import { readFileSync } from 'node:fs';
import { DTYPE_BYTES, type DType } from './dtype.js';
import { VitcError } from './errors.js';
import { Tensor } from './tensor.js';

/**
 * The safetensors format: an 8-byte little-endian header length, a JSON header mapping tensor names
 * to `{dtype, shape, data_offsets}` (offsets relative to the data section) plus an optional
 * `__metadata__` string map, then the raw little-endian tensor data.
 */
export interface SafetensorsContents {
  readonly tensors: Map<string, Tensor>;
  readonly metadata: Record<string, string>;
}

const FILE_DTYPES: Readonly<Record<string, DType>> = { F32: 'f32', F16: 'f16', I64: 'i64', I32: 'i32', I8: 'i8', U8: 'u8', BOOL: 'bool' };
const DTYPE_NAMES: Readonly<Record<DType, string>> = { f32: 'F32', f16: 'F16', i64: 'I64', i32: 'I32', i8: 'I8', u8: 'U8', bool: 'BOOL' };

/** Same bound as the reference implementation: a bigger header is a corrupt or hostile file. */
const MAX_HEADER_BYTES = 100_000_000;
const METADATA_KEY = '__metadata__';

interface Entry {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: number[];
  readonly begin: number;
  readonly end: number;
}

/** Decodes a safetensors file held in memory; `file` names it in error messages. */
export function decodeSafetensors(bytes: Uint8Array, file: string): SafetensorsContents {
  const bad = (message: string): never => {
    throw new VitcError(`invalid safetensors file: ${message}`, { file });
  };
  if (bytes.byteLength < 8) bad(`${bytes.byteLength} bytes is too short for the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = view.getBigUint64(0, true);
  if (headerLen > BigInt(MAX_HEADER_BYTES)) bad(`header length ${headerLen} exceeds the limit of ${MAX_HEADER_BYTES} bytes`);
  const n = Number(headerLen);
  if (8 + n > bytes.byteLength) bad(`header length ${n} runs past the end of the file (${bytes.byteLength} bytes)`);
  const headerText = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  let json: unknown;
  try {
    const text = headerText.decode(bytes.subarray(8, 8 + n));
    if (!text.startsWith('{')) bad('header does not start with a JSON object');
    json = JSON.parse(text);
  } catch (e) {
    if (e instanceof VitcError) throw e;
    bad(`header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) bad('header is not a JSON object');
  const header = json as Record<string, unknown>;
  const data = bytes.subarray(8 + n);

  const metadata = readMetadata(header[METADATA_KEY], bad);
  const entries: Entry[] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === METADATA_KEY) continue;
    entries.push(readEntry(name, raw, data.byteLength, bad));
  }
  checkLayout(entries, data.byteLength, bad);

  const tensors = new Map<string, Tensor>();
  for (const e of entries) {
    const slice = data.subarray(e.begin, e.end);
    if (e.dtype === 'bool') {
      const i = slice.findIndex((b) => b > 1);
      if (i >= 0) bad(`tensor '${e.name}' is BOOL but element ${i} is ${slice[i]}`);
    }
    tensors.set(e.name, Tensor.fromBytes(e.dtype, e.shape, slice));
  }
  return { tensors, metadata };
}

function readMetadata(raw: unknown, bad: (m: string) => never): Record<string, string> {
  if (raw === undefined) return {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return bad(`${METADATA_KEY} is not an object`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v !== 'string') bad(`${METADATA_KEY} value '${k}' is not a string`);
    out[k] = v as string;
  }
  return out;
}

function readEntry(name: string, raw: unknown, dataLen: number, bad: (m: string) => never): Entry {
  const what = `tensor '${name}'`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return bad(`${what} is not an object`);
  const r = raw as Record<string, unknown>;
  for (const k of Object.keys(r)) if (k !== 'dtype' && k !== 'shape' && k !== 'data_offsets') bad(`${what} has unknown field '${k}'`);
  if (typeof r.dtype !== 'string') return bad(`${what} has no dtype`);
  const dtype = FILE_DTYPES[r.dtype];
  if (!dtype) return bad(`${what} has unsupported dtype '${r.dtype}' (supported: ${Object.keys(FILE_DTYPES).join(', ')})`);
  if (!Array.isArray(r.shape) || !r.shape.every(isSize)) return bad(`${what} has a shape that is not a list of non-negative integers`);
  const offsets = r.data_offsets;
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isSize))
    return bad(`${what} has data_offsets that are not two non-negative integers`);
  const [begin, end] = offsets as [number, number];
  if (begin > end) bad(`${what} has data_offsets [${begin}, ${end}] that end before they begin`);
  if (end > dataLen) bad(`${what} has data_offsets [${begin}, ${end}] past the end of the data (${dataLen} bytes)`);
  const shape = r.shape as number[];
  const want = shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[dtype];
  if (!Number.isSafeInteger(want) || end - begin !== want)
    bad(`${what} is ${r.dtype}[${shape.join(',')}] (${want} bytes) but data_offsets [${begin}, ${end}] hold ${end - begin}`);
  return { name, dtype, shape, begin, end };
}

function isSize(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

/** Tensors must tile the data section exactly: no overlaps, no gaps, no trailing bytes. */
function checkLayout(entries: readonly Entry[], dataLen: number, bad: (m: string) => never): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  let prev: Entry | undefined;
  for (const e of sorted) {
    if (e.begin < at) bad(`tensors '${prev!.name}' and '${e.name}' overlap (bytes ${e.begin}..${at})`);
    if (e.begin > at) bad(`bytes ${at}..${e.begin} of the data belong to no tensor`);
    at = e.end;
    prev = e;
  }
  if (at !== dataLen) bad(`bytes ${at}..${dataLen} of the data belong to no tensor`);
}

/** Encodes tensors (in map order) as a safetensors file; the data section starts 8-byte aligned. */
export function encodeSafetensors(tensors: ReadonlyMap<string, Tensor>, metadata?: Readonly<Record<string, string>>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header[METADATA_KEY] = metadata;
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of tensors) {
    if (name === METADATA_KEY) throw new VitcError(`a tensor cannot be named '${METADATA_KEY}' in a safetensors file`);
    const bytes = t.toBytes();
    header[name] = { dtype: DTYPE_NAMES[t.dtype], shape: [...t.shape], data_offsets: [offset, offset + bytes.byteLength] };
    chunks.push(bytes);
    offset += bytes.byteLength;
  }
  let text = JSON.stringify(header);
  const raw = new TextEncoder().encode(text);
  // Pad with spaces (valid JSON whitespace) so tensor data is aligned for typed-array views.
  const padded = Math.ceil(raw.byteLength / 8) * 8;
  text += ' '.repeat(padded - raw.byteLength);
  const headerBytes = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + headerBytes.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.byteLength;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** Reads and decodes a safetensors file; I/O failures become VitcErrors naming the file. */
export function readSafetensors(path: string): SafetensorsContents {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new VitcError(`cannot read weights file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file: path });
  }
  return decodeSafetensors(bytes, path);
}
