/** Element types of vitc tensors. */
export const DTYPES = ['f32', 'f16', 'i64', 'i32', 'i8', 'u8', 'bool'] as const;
export type DType = (typeof DTYPES)[number];

export function isDType(s: string): s is DType {
  return (DTYPES as readonly string[]).includes(s);
}

/** Bytes per element in memory and in safetensors. */
export const DTYPE_BYTES: Record<DType, number> = { f32: 4, f16: 2, i64: 8, i32: 4, i8: 1, u8: 1, bool: 1 };

export function isFloat(d: DType): boolean {
  return d === 'f32' || d === 'f16';
}
export function isInteger(d: DType): boolean {
  return d === 'i64' || d === 'i32' || d === 'i8' || d === 'u8';
}

/**
 * In-memory storage per dtype. i64 is held in a Float64Array: every value that matters to a ViT
 * (indices, shapes, axes) is far below 2^53, and plain numbers keep every kernel monomorphic.
 * Values outside ±2^53 (ONNX's INT64_MAX sentinels in Slice) are clamped on import.
 * f16 is held as raw IEEE half bits.
 */
export type StorageFor<D extends DType> = D extends 'f32'
  ? Float32Array
  : D extends 'f16'
    ? Uint16Array
    : D extends 'i64'
      ? Float64Array
      : D extends 'i32'
        ? Int32Array
        : D extends 'i8'
          ? Int8Array
          : Uint8Array;

export type Storage = Float32Array | Uint16Array | Float64Array | Int32Array | Int8Array | Uint8Array;

export function allocStorage(dtype: DType, length: number): Storage {
  switch (dtype) {
    case 'f32':
      return new Float32Array(length);
    case 'f16':
      return new Uint16Array(length);
    case 'i64':
      return new Float64Array(length);
    case 'i32':
      return new Int32Array(length);
    case 'i8':
      return new Int8Array(length);
    case 'u8':
    case 'bool':
      return new Uint8Array(length);
  }
}

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** IEEE half bits to number. */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** number to IEEE half bits, round to nearest even. */
export function floatToHalf(v: number): number {
  f32Scratch[0] = v;
  const x = u32Scratch[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  return sign | half;
}
