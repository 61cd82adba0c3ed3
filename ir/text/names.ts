import type { Value } from '../graph.js';

/** Names that print without quotes after `%` and `@`. */
const BARE_NAME = /^[A-Za-z_][A-Za-z0-9_.]*$/;
const ALL_DIGITS = /^[0-9]+$/;

/** `name` as written after a sigil: bare when it is an identifier, else a JSON string. */
export function quoteName(name: string): string {
  return BARE_NAME.test(name) ? name : JSON.stringify(name);
}

/** A value as the text IR writes it: `%name` (quoted if needed), or `%<id>` for an anonymous value. */
export function valueText(v: Value): string {
  return `%${v.name !== undefined ? quoteName(v.name) : v.id}`;
}

/** Digit-only spellings are reserved for anonymous values (`%12` is the value with id 12). */
export function isReservedName(name: string): boolean {
  return ALL_DIGITS.test(name);
}
