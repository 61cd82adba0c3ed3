import { allocStorage, halfToFloat, type DType, type Storage } from './dtype.js';
import { fail } from './errors.js';

/** A concrete tensor: dtype, static shape and row-major data. Treated as immutable once built. */
export class Tensor {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: Storage;

  constructor(dtype: DType, shape: readonly number[], data?: Storage) {
    const n = shape.reduce((a, b) => a * b, 1);
    if (shape.some((d) => !Number.isInteger(d) || d < 0)) fail(`invalid tensor shape [${shape.join(',')}]`);
    this.dtype = dtype;
    this.shape = Object.freeze([...shape]);
    this.data = data ?? allocStorage(dtype, n);
    if (this.data.length !== n) fail(`tensor data has ${this.data.length} elements, shape [${shape.join(',')}] needs ${n}`);
  }

  get size(): number {
    return this.data.length;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** Element i as a JS number (f16 decoded). */
  get(i: number): number {
    const v = this.data[i]!;
    return this.dtype === 'f16' ? halfToFloat(v) : v;
  }

  /** All elements as numbers (for small index and shape tensors). */
  toNumbers(): number[] {
    const out = new Array<number>(this.size);
    for (let i = 0; i < this.size; i++) out[i] = this.get(i);
    return out;
  }

  static scalar(dtype: DType, v: number): Tensor {
    const t = new Tensor(dtype, []);
    t.data[0] = v;
    return t;
  }

  static fromNumbers(dtype: DType, shape: readonly number[], values: ArrayLike<number>): Tensor {
    const t = new Tensor(dtype, shape);
    if (values.length !== t.size) fail(`expected ${t.size} values for shape [${shape.join(',')}], got ${values.length}`);
    for (let i = 0; i < values.length; i++) t.data[i] = values[i]!;
    return t;
  }

  static f32(shape: readonly number[], values: ArrayLike<number>): Tensor {
    return new Tensor('f32', shape, Float32Array.from(values));
  }

  /** Same data, new shape (no copy). */
  reshape(shape: readonly number[]): Tensor {
    return new Tensor(this.dtype, shape, this.data);
  }

  /** Byte view of the data, little-endian as stored (i64 converted to real 64-bit integers). */
  toBytes(): Uint8Array {
    if (this.dtype === 'i64') {
      const out = new BigInt64Array(this.size);
      for (let i = 0; i < this.size; i++) out[i] = BigInt(Math.trunc(this.data[i]!));
      return new Uint8Array(out.buffer);
    }
    return new Uint8Array(this.data.buffer, this.data.byteOffset, this.data.byteLength);
  }

  /** Builds a tensor from little-endian bytes in the file layout of `dtype`. */
  static fromBytes(dtype: DType, shape: readonly number[], bytes: Uint8Array): Tensor {
    const n = shape.reduce((a, b) => a * b, 1);
    // A real copy (Buffer.prototype.slice returns a view): aligned, and detached from the source.
    const copy = new Uint8Array(bytes.byteLength);
    copy.set(bytes);
    switch (dtype) {
      case 'i64': {
        if (copy.byteLength !== n * 8) fail(`i64 tensor needs ${n * 8} bytes, got ${copy.byteLength}`);
        const big = new BigInt64Array(copy.buffer, 0, n);
        const out = new Float64Array(n);
        for (let i = 0; i < n; i++) out[i] = clampI64(big[i]!);
        return new Tensor(dtype, shape, out);
      }
      default: {
        const t = new Tensor(dtype, shape);
        const want = t.data.byteLength;
        if (copy.byteLength !== want) fail(`${dtype} tensor of shape [${shape.join(',')}] needs ${want} bytes, got ${copy.byteLength}`);
        new Uint8Array(t.data.buffer).set(copy);
        return t;
      }
    }
  }
}

/** i64 to number, clamping ONNX's ±2^63 sentinels into the safe-integer range. */
export function clampI64(v: bigint): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) return Number.MAX_SAFE_INTEGER;
  if (v < BigInt(Number.MIN_SAFE_INTEGER)) return Number.MIN_SAFE_INTEGER;
  return Number(v);
}

export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}
