import { type DType } from '../ir/dtype.js';
import { VitcError } from '../ir/errors.js';
import { Tensor } from '../ir/tensor.js';

/** NumPy .npy (format 1.0/2.0/3.0) reading and writing for the dtypes vitc has. */
const DESCR_TO_DTYPE: Record<string, DType> = {
  '<f4': 'f32',
  '<f2': 'f16',
  '<i8': 'i64',
  '<i4': 'i32',
  '|i1': 'i8',
  '|u1': 'u8',
  '|b1': 'bool',
};
const DTYPE_TO_DESCR: Record<DType, string> = Object.fromEntries(Object.entries(DESCR_TO_DTYPE).map(([k, v]) => [v, k])) as Record<DType, string>;
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

export function readNpy(bytes: Uint8Array, file = '<npy>'): Tensor {
  const bad = (msg: string): never => {
    throw new VitcError(`not a readable .npy file: ${msg}`, { file });
  };
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) bad('missing \\x93NUMPY magic');
  const major = bytes[6]!;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = dv.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) bad('truncated header');
    headerLen = dv.getUint32(8, true);
    start = 12;
  } else return bad(`unsupported format version ${major}`);
  if (start + headerLen > bytes.length) bad('truncated header');
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) return bad('malformed header');
  if (fortran === 'True') bad('Fortran-ordered arrays are not supported');
  const dtype = DESCR_TO_DTYPE[descr] ?? DESCR_TO_DTYPE[descr.replace('=', '<')];
  if (!dtype) return bad(`unsupported dtype '${descr}' (use float32, float16, int64, int32, int8, uint8 or bool)`);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      const n = Number(s.replace(/L$/, ''));
      if (!Number.isInteger(n) || n < 0) bad(`bad dimension '${s}'`);
      return n;
    });
  const data = bytes.subarray(start + headerLen);
  const want = shape.reduce((a, b) => a * b, 1) * ({ f32: 4, f16: 2, i64: 8, i32: 4, i8: 1, u8: 1, bool: 1 } as const)[dtype];
  if (data.length < want) bad(`data is truncated: ${data.length} bytes, shape (${shape.join(', ')}) needs ${want}`);
  return Tensor.fromBytes(dtype, shape, data.subarray(0, want));
}

export function writeNpy(t: Tensor): Uint8Array {
  const shape = t.shape.length === 1 ? `(${t.shape[0]},)` : `(${t.shape.join(', ')})`;
  let header = `{'descr': '${DTYPE_TO_DESCR[t.dtype]}', 'fortran_order': False, 'shape': ${shape}, }`;
  // Pad so the data starts on a 64-byte boundary, header ends with a newline (format 1.0).
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const body = t.toBytes();
  const out = new Uint8Array(10 + header.length + body.length);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(body, 10 + header.length);
  return out;
}
