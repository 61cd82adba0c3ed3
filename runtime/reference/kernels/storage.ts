import { floatToHalf, halfToFloat, type DType, type Storage } from '../../../ir/dtype.js';
import { Tensor } from '../../../ir/tensor.js';

/** Elements of `t` as plain numbers in a typed array (f16 decoded; other dtypes as stored, no copy). */
export function numbersOf(t: Tensor): Exclude<Storage, Uint16Array> {
  if (t.dtype !== 'f16') return t.data as Exclude<Storage, Uint16Array>;
  const out = new Float32Array(t.size);
  for (let i = 0; i < t.size; i++) out[i] = halfToFloat(t.data[i]!);
  return out;
}

/** Stores computed numbers as `dtype`: rounding to f32/f16, truncation for integers, 0/1 for bool. */
export function tensorFrom(dtype: DType, shape: readonly number[], values: ArrayLike<number>): Tensor {
  const t = new Tensor(dtype, shape);
  const d = t.data;
  const n = values.length;
  switch (dtype) {
    case 'f32':
      (d as Float32Array).set(values);
      break;
    case 'f16':
      for (let i = 0; i < n; i++) d[i] = floatToHalf(values[i]!);
      break;
    case 'bool':
      for (let i = 0; i < n; i++) d[i] = values[i] ? 1 : 0;
      break;
    default:
      // Integer stores truncate toward zero (ONNX Cast); typed arrays then wrap to their width.
      for (let i = 0; i < n; i++) d[i] = Math.trunc(values[i]!);
  }
  return t;
}

/** One number as `dtype` stores it (f16 bits, truncated integer, 0/1): a fill value for raw copies. */
export function storedValue(dtype: DType, v: number): number {
  return tensorFrom(dtype, [], [v]).data[0]!;
}
