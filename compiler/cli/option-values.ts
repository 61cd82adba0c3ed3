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
