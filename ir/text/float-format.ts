import { floatToHalf, halfToFloat } from '../dtype.js';

/** The float formats whose values the text IR prints: plain numbers (attributes) and tensor elements. */
export type FloatFormat = 'f64' | 'f32' | 'f16';

/** Reads a decimal literal as the given format; the printer checks its output with the same function. */
export function readFloat(text: string, format: FloatFormat): number {
  const v = Number(text);
  if (format === 'f32') return Math.fround(v);
  if (format === 'f16') return halfToFloat(floatToHalf(v));
  return v;
}

/**
 * Prints `v` (already a value of `format`) with the shortest decimal that reads back to the same
 * value, always recognisably a float: `1.0`, `0.1`, `1e-05`, `1.5e+20`, `inf`, `-inf`, `nan`, `-0.0`.
 * Layout follows Python's repr (positional for exponents -4..15), so dumps look familiar.
 */
export function formatFloat(v: number, format: FloatFormat): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (v === 0) return Object.is(v, -0) ? '-0.0' : '0.0';
  const sign = v < 0 ? '-' : '';
  const { digits, exp } = shortestDigits(Math.abs(v), format);
  return sign + layout(digits, exp);
}

interface Decimal {
  /** Significant digits, no leading or trailing zeros. */
  readonly digits: string;
  /** Decimal exponent of the first digit. */
  readonly exp: number;
}

function parseExponential(s: string): Decimal {
  const [mant, e] = s.split('e') as [string, string];
  const digits = mant.replace('.', '').replace(/0+$/, '') || '0';
  return { digits, exp: Number(e) };
}

/** Digits enough for any value of the format to round-trip. */
const MAX_DIGITS: Record<FloatFormat, number> = { f64: 17, f32: 9, f16: 5 };

function shortestDigits(v: number, format: FloatFormat): Decimal {
  // For doubles the language already gives the shortest round-tripping digits.
  if (format === 'f64') return parseExponential(v.toExponential());
  // Whether the correctly rounded p-digit decimal reads back is monotone in p: binary search.
  let lo = 1;
  let hi = MAX_DIGITS[format];
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (readFloat(v.toExponential(mid - 1), format) === v) hi = mid;
    else lo = mid + 1;
  }
  if (isPowerOfTwo(v))
    for (let p = 1; p < lo; p++) {
      const found = upperNeighbour(v, p, format);
      if (found) return found;
    }
  return parseExponential(v.toExponential(lo - 1));
}

function isPowerOfTwo(v: number): boolean {
  return v === 2 ** Math.round(Math.log2(v));
}

/**
 * At a power of two the round-trip interval is lopsided (the gap below is half the gap above), so
 * the nearest p-digit decimal can fall below it while the next p-digit decimal up lands inside.
 */
function upperNeighbour(v: number, p: number, format: FloatFormat): Decimal | undefined {
  const { digits, exp } = parseExponential(v.toExponential(p - 1));
  const up = `${Number(digits.padEnd(p, '0')) + 1}e${exp - p + 1}`;
  return readFloat(up, format) === v ? parseExponential(Number(up).toExponential()) : undefined;
}

function layout(digits: string, exp: number): string {
  if (exp >= -4 && exp < 16) {
    if (exp < 0) return `0.${'0'.repeat(-exp - 1)}${digits}`;
    const int = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
    const frac = digits.slice(exp + 1) || '0';
    return `${int}.${frac}`;
  }
  const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const e = Math.abs(exp).toString().padStart(2, '0');
  return `${mant}e${exp < 0 ? '-' : '+'}${e}`;
}
