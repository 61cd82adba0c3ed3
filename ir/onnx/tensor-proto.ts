import type { DType } from '../dtype.js';
import { VitcError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { readExternalData } from './external-data.js';
import { OnnxDataType, type OnnxTensor } from './schema.js';

const TO_DTYPE: ReadonlyMap<number, DType> = new Map<number, DType>([
  [OnnxDataType.FLOAT, 'f32'],
  [OnnxDataType.FLOAT16, 'f16'],
  [OnnxDataType.INT64, 'i64'],
  [OnnxDataType.INT32, 'i32'],
  [OnnxDataType.INT8, 'i8'],
  [OnnxDataType.UINT8, 'u8'],
  [OnnxDataType.BOOL, 'bool'],
]);

const DATA_TYPE_NAMES: ReadonlyMap<number, string> = new Map(Object.entries(OnnxDataType).map(([k, v]) => [v, k]));

/** The vitc dtype of an ONNX TensorProto.DataType; fails with the ONNX name for unsupported ones. */
export function dtypeFromOnnx(t: number | undefined, what: string): DType {
  const d = TO_DTYPE.get(t ?? 0);
  if (!d) throw new VitcError(`${what} has element type ${DATA_TYPE_NAMES.get(t ?? 0) ?? `#${t}`}, which vitc does not support`);
  return d;
}

export function dtypeToOnnx(d: DType): number {
  for (const [k, v] of TO_DTYPE) if (v === d) return k;
  throw new VitcError(`no ONNX element type for ${d}`);
}

/** Where to find external data: the model's folder and file name (for messages). */
export interface TensorSource {
  readonly dir: string | undefined;
  readonly file: string;
}

/** Converts a TensorProto (inline typed fields, raw_data, or external data) to a Tensor. */
export function tensorFromProto(p: OnnxTensor, src: TensorSource, label?: string): Tensor {
  const what = `tensor '${label ?? p.name ?? '?'}'`;
  const dtype = dtypeFromOnnx(p.dataType, what);
  const dims = p.dims ?? [];
  for (const d of dims) if (!Number.isSafeInteger(d) || d < 0) throw new VitcError(`${what} has invalid dimension ${d}`);
  const n = dims.reduce((a, b) => a * b, 1);
  if (p.segment) throw new VitcError(`${what} is a segment of a larger tensor, which vitc does not support`);
  try {
    if (p.dataLocation === 1) {
      if (src.dir === undefined) throw new VitcError(`${what} uses external data, but the model was not read from a file`);
      return Tensor.fromBytes(dtype, dims, readExternalData(p, src.dir, src.file));
    }
    if (p.rawData && p.rawData.length) return Tensor.fromBytes(dtype, dims, plainBytes(p.rawData));
    const typed = typedField(p, dtype);
    if (typed.length === 0 && n > 0) throw new VitcError(`${what} has no data (${n} elements expected)`);
    if (typed.length !== n) throw new VitcError(`${what} has ${typed.length} values, its shape [${dims.join(',')}] needs ${n}`);
    const t = new Tensor(dtype, dims);
    for (let i = 0; i < n; i++) t.data[i] = dtype === 'i64' ? clampNumber(typed[i]!) : dtype === 'bool' ? (typed[i] ? 1 : 0) : typed[i]!;
    return t;
  } catch (e) {
    if (e instanceof VitcError && !e.message.includes(what)) throw new VitcError(`${what}: ${e.message}`);
    throw e;
  }
}

/** The typed repeated field that holds a dtype's values when raw_data is absent. */
function typedField(p: OnnxTensor, dtype: DType): readonly number[] {
  switch (dtype) {
    case 'f32':
      return p.floatData ?? [];
    case 'i64':
      return p.int64Data ?? [];
    default:
      // int32_data carries int32, int8, uint8, bool and float16 (as raw half bits).
      return p.int32Data ?? [];
  }
}

/** int64_data arrives as (possibly rounded) numbers; ONNX's ±2^63 sentinels clamp like clampI64. */
function clampNumber(v: number): number {
  return Math.min(Number.MAX_SAFE_INTEGER, Math.max(Number.MIN_SAFE_INTEGER, Math.trunc(v)));
}

/**
 * A copy of the bytes in a plain, exactly-sized Uint8Array. protobufjs hands out Node Buffers that
 * view a larger pool, and Buffer#slice does not copy, so `Tensor.fromBytes`' `slice()` would see
 * the pool's ArrayBuffer at the wrong offset.
 */
function plainBytes(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(b.length);
  out.set(b);
  return out;
}
