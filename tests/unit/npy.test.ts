import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { DTYPES, type DType } from '../../ir/dtype.js';
import { VitcError } from '../../ir/errors.js';
import { Tensor } from '../../ir/tensor.js';
import { readNpy, writeNpy } from '../../runtime/npy.js';
import { repoPath } from '../helpers/paths.js';
import { Rng } from '../helpers/prng.js';

/** Files written by numpy 1.24 (tests/cli/data/make_data.py); the expected values are the script's formulas. */
const npyFile = (name: string) => readFileSync(repoPath('tests', 'cli', 'data', 'npy', name));

function rejects(bytes: Uint8Array, re: RegExp): void {
  assert.throws(
    () => readNpy(bytes, 'in.npy'),
    (e: unknown) => e instanceof VitcError && !e.message.includes('\n') && e.message.startsWith('in.npy: ') && re.test(e.message),
  );
}

/** The header dictionary of a .npy file, and where its data starts (NumPy format 1.0 layout). */
function header(bytes: Uint8Array): { text: string; dataStart: number } {
  assert.deepEqual([...bytes.subarray(0, 8)], [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  const len = bytes[8]! | (bytes[9]! << 8);
  return { text: Buffer.from(bytes.subarray(10, 10 + len)).toString('latin1'), dataStart: 10 + len };
}

test('reads every dtype numpy writes, with the values numpy was given', () => {
  const f32 = readNpy(npyFile('f32_2x3.npy'));
  assert.equal(f32.dtype, 'f32');
  assert.deepEqual(f32.shape, [2, 3]);
  assert.deepEqual([...f32.data], [0, 1, 2, 3, 4, 5].map((i) => i / 4 - 0.5));

  const scalar = readNpy(npyFile('f32_scalar.npy'));
  assert.deepEqual([scalar.dtype, scalar.shape, [...scalar.data]], ['f32', [], [2.5]]);

  const f16 = readNpy(npyFile('f16_4.npy'));
  assert.equal(f16.dtype, 'f16');
  // 1e-3 is not exact in half precision: the nearest half is 0.0010004043579101562.
  assert.deepEqual(f16.toNumbers(), [0.5, -2, 65504, 0.0010004043579101562]);

  const i64 = readNpy(npyFile('i64_5.npy'));
  assert.equal(i64.dtype, 'i64');
  assert.deepEqual(i64.toNumbers(), [0, 1, 2, 3, 4].map((i) => 3e9 * i - 6e9));

  assert.deepEqual(readNpy(npyFile('i32_2x2.npy')).toNumbers(), [-7, 0, 2 ** 31 - 1, -(2 ** 31)]);
  assert.deepEqual(readNpy(npyFile('i8_3.npy')).toNumbers(), [-128, 0, 127]);
  const u8 = readNpy(npyFile('u8_2x2.npy'));
  assert.deepEqual([u8.dtype, u8.shape, u8.toNumbers()], ['u8', [2, 2], [0, 1, 254, 255]]);
  const b = readNpy(npyFile('bool_3.npy'));
  assert.deepEqual([b.dtype, b.toNumbers()], ['bool', [1, 0, 1]]);
  const empty = readNpy(npyFile('f32_empty.npy'));
  assert.deepEqual([empty.shape, empty.size], [[0, 3], 0]);
});

test('reads format version 2.0 (4-byte header length)', () => {
  const bytes = npyFile('f32_v2.npy');
  assert.equal(bytes[6], 2);
  const t = readNpy(bytes);
  assert.deepEqual([t.shape, [...t.data]], [[2, 2], [0, 1, 2, 3]]);
});

test("writes byte-for-byte what numpy.save writes for the same array", () => {
  for (const name of ['f32_2x3.npy', 'f32_scalar.npy', 'f16_4.npy', 'i64_5.npy', 'i32_2x2.npy', 'i8_3.npy', 'u8_2x2.npy', 'bool_3.npy', 'f32_empty.npy']) {
    const bytes = npyFile(name);
    assert.ok(Buffer.from(writeNpy(readNpy(bytes))).equals(bytes), name);
  }
});

test('written headers follow the format: 64-byte aligned data, newline-terminated dict, 1-tuples with a comma', () => {
  const rng = new Rng(7);
  for (let k = 0; k < 40; k++) {
    const dtype = rng.pick(DTYPES);
    const shape = rng.shape(rng.int(0, 4), 0, 4);
    const t = randomTensor(rng, dtype, shape);
    const bytes = writeNpy(t);
    const { text, dataStart } = header(bytes);
    assert.equal(dataStart % 64, 0);
    assert.ok(text.endsWith('\n'));
    const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
    assert.ok(text.includes(`'shape': ${shapeText}`), text);
    assert.ok(text.includes("'fortran_order': False"), text);
    assert.equal(bytes.length - dataStart, t.toBytes().length);
    const back = readNpy(bytes);
    assert.deepEqual([back.dtype, back.shape], [dtype, shape]);
    assert.deepEqual(back.toNumbers(), t.toNumbers(), `${dtype} [${shape}]`);
  }
});

function randomTensor(rng: Rng, dtype: DType, shape: number[]): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const values = Array.from({ length: n }, () => {
    switch (dtype) {
      case 'f32':
        return Math.fround(rng.float(-100, 100));
      case 'f16':
        return rng.int(0, 0x7bff) | (rng.bool() ? 0x8000 : 0); // finite half bit patterns
      case 'i64':
        return rng.int(-(2 ** 40), 2 ** 40);
      case 'i32':
        return rng.int(-(2 ** 31), 2 ** 31 - 1);
      case 'i8':
        return rng.int(-128, 127);
      case 'u8':
        return rng.int(0, 255);
      case 'bool':
        return rng.int(0, 1);
    }
  });
  return Tensor.fromNumbers(dtype, shape, values);
}

test('reads from a Buffer that is a view into a larger allocation', () => {
  // readFileSync returns pooled Buffers for small files; a view with an offset must read its own bytes.
  const inner = writeNpy(Tensor.fromNumbers('i64', [3], [-5, 7, 2 ** 40]));
  const big = Buffer.alloc(inner.length + 13, 0xab);
  big.set(inner, 13);
  assert.deepEqual(readNpy(big.subarray(13)).toNumbers(), [-5, 7, 2 ** 40]);
});

test('malformed files fail with one line naming the file', () => {
  const good = npyFile('f32_2x3.npy');
  rejects(new Uint8Array(0), /missing \\x93NUMPY magic/);
  rejects(Buffer.from('PK\x03\x04 this is a zip'), /missing \\x93NUMPY magic/);
  rejects(good.subarray(0, 9), /magic/);
  rejects(good.subarray(0, 40), /truncated header/);
  rejects(good.subarray(0, good.length - 1), /data is truncated: 23 bytes, shape \(2, 3\) needs 24/);
  const v9 = Buffer.from(good);
  v9[6] = 9;
  rejects(v9, /unsupported format version 9/);
  rejects(npyFile('f32_fortran.npy'), /Fortran-ordered/);
  rejects(npyFile('f32_bigendian.npy'), /unsupported dtype '>f4'/);
  rejects(npyFile('f64_3.npy'), /unsupported dtype '<f8'/);
  const noShape = Buffer.from(good.toString('latin1').replace("'shape'", "'shapx'"), 'latin1');
  rejects(noShape, /malformed header/);
  const negative = Buffer.from(good.toString('latin1').replace("(2, 3)", "(2,-3)"), 'latin1');
  rejects(negative, /bad dimension '-3'/);
});
