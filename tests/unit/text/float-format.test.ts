import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { halfToFloat } from '../../../ir/dtype.js';
import { type FloatFormat, formatFloat, readFloat } from '../../../ir/text/float-format.js';

/** Significant digits and exponent of a printed float, e.g. `0.0015` → ['15', -3]. */
function digitsOf(s: string): [string, number] {
  const [mant, e] = s.replace(/^-/, '').split('e') as [string, string | undefined];
  const [int, frac = ''] = mant.split('.') as [string, string | undefined];
  const all = (int + frac).replace(/^0+/, '');
  const lead = (int + frac).length - all.length;
  const digits = all.replace(/0+$/, '');
  return [digits, (e === undefined ? 0 : Number(e)) + int.length - 1 - lead];
}

/**
 * Fails if some decimal with fewer significant digits than `s` also reads back to v. Searches a
 * neighbourhood of candidates at each shorter precision instead of reproducing the printer's logic.
 */
function assertNoShorter(v: number, s: string, format: FloatFormat): void {
  const [digits, exp] = digitsOf(s);
  for (let p = 1; p < digits.length; p++)
    for (const e of [exp - 1, exp, exp + 1]) {
      const scale = e - p + 1;
      const center = Math.round(Math.abs(v) / 10 ** scale);
      for (let n = Math.max(10 ** (p - 1), center - 3); n <= Math.min(10 ** p - 1, center + 3); n++) {
        const c = `${v < 0 ? '-' : ''}${n}e${scale}`;
        assert.notEqual(readFloat(c, format), v, `${c} is shorter than ${s} and reads back to ${v}`);
      }
    }
}

test('f64 attributes print like Python repr and read back exactly', () => {
  // Expected strings from CPython: repr(float) for each value.
  const cases: [number, string][] = [
    [1e-5, '1e-05'],
    [1e-4, '0.0001'],
    [1e16, '1e+16'],
    [1e15, '1000000000000000.0'],
    [0.1, '0.1'],
    [1e300, '1e+300'],
    [5e-324, '5e-324'],
    [1.5e-7, '1.5e-07'],
    [123456789012345678, '1.2345678901234568e+17'],
    [9.999999747378752e-6, '9.999999747378752e-06'],
    [1, '1.0'],
    [-2.5, '-2.5'],
    [0, '0.0'],
    [-0, '-0.0'],
    [Infinity, 'inf'],
    [-Infinity, '-inf'],
    [NaN, 'nan'],
  ];
  for (const [v, s] of cases) assert.equal(formatFloat(v, 'f64'), s);
  fc.assert(
    fc.property(fc.double(), (v) => {
      const s = formatFloat(v, 'f64');
      assert.ok(/[.en]/.test(s), `${s} does not look like a float`);
      assert.ok(Object.is(s === 'nan' ? NaN : s === 'inf' ? Infinity : s === '-inf' ? -Infinity : readFloat(s, 'f64'), v));
    }),
    { numRuns: 1000 },
  );
});

test('f32 and f16 elements print the same shortest digits as numpy', () => {
  // numpy.format_float_scientific(numpy.float32(v) / numpy.float16(v), unique=True).
  const f32: [number, string, number][] = [
    [0.1, '1', -1],
    [1 / 3, '33333334', -1],
    [1e-45, '1', -45],
    [3.4028234663852886e38, '34028235', 38],
    [16777217, '16777216', 7],
    [1e-5, '1', -5],
    [123456.789, '12345679', 5],
    [2.5e-8, '25', -8],
    [6.1e-5, '61', -5],
    [1e16, '1', 16],
    [1.17549435e-38, '11754944', -38],
    [9.999999e-39, '1', -38],
  ];
  for (const [x, digits, exp] of f32) assert.deepEqual(digitsOf(formatFloat(Math.fround(x), 'f32')), [digits, exp], `f32 ${x}`);
  const f16: [number, string, number][] = [
    [0.0999755859375, '1', -1],
    [0.333251953125, '3333', -1],
    [5.960464477539063e-8, '6', -8],
    [65504, '655', 4],
    [0.00010001659393310547, '1', -4],
    [6.103515625e-5, '6104', -5],
    [2048, '2048', 3],
  ];
  for (const [x, digits, exp] of f16) assert.deepEqual(digitsOf(formatFloat(x, 'f16')), [digits, exp], `f16 ${x}`);
});

test('every f16 value prints as a shortest decimal that reads back to its bits', () => {
  for (let bits = 0; bits < 0x10000; bits++) {
    const v = halfToFloat(bits);
    if (Number.isNaN(v)) continue;
    const s = formatFloat(v, 'f16');
    assert.ok(Object.is(s.endsWith('inf') ? v : readFloat(s, 'f16'), v), `bits ${bits.toString(16)}: ${s}`);
    if (bits % 11 === 0 && Number.isFinite(v) && v !== 0) assertNoShorter(v, s, 'f16');
  }
});

test('random f32 values print as shortest decimals that read back to their bits', () => {
  const scratch = new Float32Array(1);
  const bits = new Uint32Array(scratch.buffer);
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffffffff }), (b) => {
      bits[0] = b;
      const v = scratch[0]!;
      if (!Number.isFinite(v)) return;
      const s = formatFloat(v, 'f32');
      assert.ok(Object.is(readFloat(s, 'f32'), v), `${v}: ${s}`);
      if (v !== 0) assertNoShorter(v, s, 'f32');
    }),
    { numRuns: 1500 },
  );
});
