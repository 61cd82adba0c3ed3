import { InvalidArgumentError } from 'commander';

/*
 * Parsers for option values: commander reports their errors as usage errors (exit 2), naming
 * the option.
 */

export function positiveInt(text: string): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < 1 || !Number.isSafeInteger(Number(text))) throw new InvalidArgumentError('expected a positive integer.');
  return Number(text);
}

export function nonNegativeInt(text: string): number {
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(Number(text))) throw new InvalidArgumentError('expected a non-negative integer.');
  return Number(text);
}

export function nonNegativeNumber(text: string): number {
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || v < 0) throw new InvalidArgumentError('expected a non-negative number.');
  return v;
}

/** For repeatable options (`--input a=x.npy --input b=y.npy`). */
export function collect(value: string, previous: readonly string[] = []): string[] {
  return [...previous, value];
}

/** A duration: "10m", "90s", "1h30m", or plain seconds ("45") → seconds. */
export function duration(text: string): number {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t);
  const m = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(t);
  if (!m || (!m[1] && !m[2] && !m[3])) throw new InvalidArgumentError('expected a duration like 10m, 90s or 1h30m.');
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}
