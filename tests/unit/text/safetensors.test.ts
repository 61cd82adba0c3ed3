import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DTYPES } from '../../../ir/dtype.js';
import { VitcError } from '../../../ir/errors.js';
import { decodeSafetensors, encodeSafetensors, readSafetensors } from '../../../ir/safetensors.js';
import { Tensor } from '../../../ir/tensor.js';
import { assertTensorsIdentical } from './compare-graphs.js';

/** A safetensors file assembled by hand: header object, then the data bytes. */
function fileOf(header: unknown, data: Uint8Array, headerText = JSON.stringify(header)): Uint8Array {
  const h = new TextEncoder().encode(headerText);
  const out = new Uint8Array(8 + h.byteLength + data.byteLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.byteLength), true);
  out.set(h, 8);
  out.set(data, 8 + h.byteLength);
  return out;
}

test('decodes a hand-assembled file of every dtype', () => {
  const data = new Uint8Array(8 + 4 + 16 + 8 + 2 + 2 + 3);
  const dv = new DataView(data.buffer);
  dv.setFloat32(0, 1.5, true);
  dv.setFloat32(4, -0.25, true);
  dv.setUint16(8, 0x3c00, true); // f16 1.0
  dv.setUint16(10, 0xc000, true); // f16 -2.0
  dv.setBigInt64(12, -5n, true);
  dv.setBigInt64(20, 2n ** 40n, true);
  dv.setInt32(28, -7, true);
  dv.setInt32(32, 9, true);
  dv.setInt8(36, -3);
  dv.setInt8(37, 4);
  dv.setUint8(38, 200);
  dv.setUint8(39, 1);
  data.set([1, 0, 1], 40);
  const header = {
    __metadata__: { format: 'pt', note: 'hand made' },
    a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
    h: { dtype: 'F16', shape: [2, 1], data_offsets: [8, 12] },
    l: { dtype: 'I64', shape: [2], data_offsets: [12, 28] },
    i: { dtype: 'I32', shape: [2], data_offsets: [28, 36] },
    b: { dtype: 'I8', shape: [2], data_offsets: [36, 38] },
    u: { dtype: 'U8', shape: [1, 2], data_offsets: [38, 40] },
    m: { dtype: 'BOOL', shape: [3], data_offsets: [40, 43] },
  };
  const { tensors, metadata } = decodeSafetensors(fileOf(header, data), 'hand.safetensors');
  assert.deepEqual(metadata, { format: 'pt', note: 'hand made' });
  assert.deepEqual([...tensors.keys()], ['a', 'h', 'l', 'i', 'b', 'u', 'm']);
  const values = (k: string): number[] => tensors.get(k)!.toNumbers();
  assert.deepEqual(values('a'), [1.5, -0.25]);
  assert.deepEqual(values('h'), [1, -2]);
  assert.deepEqual(tensors.get('h')!.shape, [2, 1]);
  assert.deepEqual(values('l'), [-5, 2 ** 40]);
  assert.ok(tensors.get('l')!.data instanceof Float64Array);
  assert.deepEqual(values('i'), [-7, 9]);
  assert.deepEqual(values('b'), [-3, 4]);
  assert.deepEqual(values('u'), [200, 1]);
  assert.deepEqual(values('m'), [1, 0, 1]);
});

test('encodes every dtype so that it decodes bit for bit, with aligned data and a standard header', () => {
  const tensors = new Map<string, Tensor>();
  DTYPES.forEach((d, i) => {
    const t = new Tensor(d, [i + 1, 2]);
    for (let k = 0; k < t.size; k++) t.data[k] = d === 'bool' ? k % 2 : d === 'i64' ? (k === 0 ? 0 : -(k * 2 ** 33)) : k * 3 - 2;
    tensors.set(`t.${d}`, t);
  });
  tensors.set('empty', new Tensor('f32', [0, 4]));
  tensors.set('scalar', Tensor.scalar('i32', 42));
  const bytes = encodeSafetensors(tensors, { format: 'pt' });
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal((8 + n) % 8, 0);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, { dtype: string; shape: number[]; data_offsets: number[] }>;
  assert.deepEqual(header.__metadata__, { format: 'pt' });
  const rows = DTYPES.indexOf('i64') + 1;
  assert.deepEqual(header['t.i64'], { dtype: 'I64', shape: [rows, 2], data_offsets: header['t.i64']!.data_offsets });
  assert.equal(header['t.i64']!.data_offsets[1]! - header['t.i64']!.data_offsets[0]!, rows * 2 * 8);
  const back = decodeSafetensors(bytes, 'rt.safetensors');
  assert.deepEqual([...back.tensors.keys()], [...tensors.keys()]);
  for (const [k, t] of tensors) assertTensorsIdentical(t, back.tensors.get(k)!, k);
  assert.deepEqual(back.tensors.get('t.i64')!.toNumbers().slice(0, 3), [0, -(2 ** 33), -(2 ** 34)]);
});

test('corrupt files are rejected with a clear error naming the file', () => {
  const ok = { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
  const data8 = new Uint8Array(8);
  const cases: [string, Uint8Array, string][] = [
    ['too short', new Uint8Array(5), '5 bytes is too short for the 8-byte header length'],
    ['header past end', fileOf(ok, data8).subarray(0, 20), `header length ${JSON.stringify(ok).length} runs past the end of the file (20 bytes)`],
    ['huge header', (() => { const b = fileOf(ok, data8); new DataView(b.buffer).setBigUint64(0, 2n ** 62n, true); return b; })(), `header length ${2n ** 62n} exceeds the limit of 100000000 bytes`],
    ['not JSON', fileOf(null, data8, '{"a": '), /header is not valid UTF-8 JSON/.source],
    ['array', fileOf(null, data8, '[1, 2]'), 'header does not start with a JSON object'],
    ['bad dtype', fileOf({ a: { dtype: 'BF16', shape: [4], data_offsets: [0, 8] } }, data8), "tensor 'a' has unsupported dtype 'BF16' (supported: F32, F16, I64, I32, I8, U8, BOOL)"],
    ['bad shape', fileOf({ a: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }, data8), "tensor 'a' has a shape that is not a list of non-negative integers"],
    ['bad offsets', fileOf({ a: { dtype: 'F32', shape: [2], data_offsets: [0] } }, data8), "tensor 'a' has data_offsets that are not two non-negative integers"],
    ['reversed', fileOf({ a: { dtype: 'U8', shape: [0], data_offsets: [8, 0] } }, data8), "tensor 'a' has data_offsets [8, 0] that end before they begin"],
    ['past end', fileOf({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, data8), "tensor 'a' has data_offsets [0, 16] past the end of the data (8 bytes)"],
    ['size mismatch', fileOf({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, data8), "tensor 'a' is F32[3] (12 bytes) but data_offsets [0, 8] hold 8"],
    [
      'overlap',
      fileOf({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, data8),
      "tensors 'a' and 'b' overlap (bytes 4..8)",
    ],
    ['gap', fileOf({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, data8), 'bytes 0..4 of the data belong to no tensor'],
    ['trailing', fileOf({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, data8), 'bytes 4..8 of the data belong to no tensor'],
    ['extra field', fileOf({ a: { ...ok.a, offsets: 1 } }, data8), "tensor 'a' has unknown field 'offsets'"],
    ['metadata', fileOf({ __metadata__: { n: 3 }, ...ok }, data8), "__metadata__ value 'n' is not a string"],
    ['bool byte', fileOf({ m: { dtype: 'BOOL', shape: [8], data_offsets: [0, 8] } }, Uint8Array.from([0, 1, 2, 0, 0, 0, 0, 0])), "tensor 'm' is BOOL but element 2 is 2"],
  ];
  for (const [what, bytes, message] of cases)
    assert.throws(
      () => decodeSafetensors(bytes, 'bad.safetensors'),
      (e: unknown) => {
        assert.ok(e instanceof VitcError, what);
        const prefix = 'bad.safetensors: invalid safetensors file: ';
        assert.ok(e.message.startsWith(prefix), `${what}: ${e.message}`);
        const rest = e.message.slice(prefix.length);
        if (what === 'not JSON') assert.match(rest, new RegExp(message));
        else assert.equal(rest, message, what);
        return true;
      },
    );
});

test('a missing file is a VitcError naming it', () => {
  assert.throws(() => readSafetensors('/nonexistent/dir/w.safetensors'), (e: unknown) => e instanceof VitcError && e.message === '/nonexistent/dir/w.safetensors: cannot read weights file: ENOENT');
});
