import assert from 'node:assert/strict';
import { VitcError } from '../../../ir/errors.js';
import type { Tensor } from '../../../ir/tensor.js';
import { parseGraph } from '../../../ir/text/index.js';
import { lookupSampleOp } from './sample-ops.js';

/** 1-based line:col of the nth occurrence of `needle` in `text`, found by plain search. */
export function positionOf(text: string, needle: string, nth = 0): string {
  let i = -1;
  for (let k = 0; k <= nth; k++) {
    i = text.indexOf(needle, i + 1);
    assert.ok(i >= 0, `'${needle}' (#${nth}) is not in the test text`);
  }
  const before = text.slice(0, i);
  const line = before.split('\n').length;
  const col = i - before.lastIndexOf('\n');
  return `${line}:${col}`;
}

export interface ErrorCase {
  readonly text: string;
  /** Where the error must point: the nth occurrence of a substring, or a literal `line:col`. */
  readonly at: { readonly needle: string; readonly nth?: number } | string;
  /** The whole message after `file:line:col: `, or a pattern for it. */
  readonly message: string | RegExp;
  readonly weights?: ReadonlyMap<string, Tensor>;
}

/** Parses `c.text` as err.vir and checks the one-line `err.vir:line:col: message` error. */
export function expectTextError(c: ErrorCase): void {
  const where = typeof c.at === 'string' ? c.at : positionOf(c.text, c.at.needle, c.at.nth);
  const weights = c.weights;
  assert.throws(
    () => parseGraph(c.text, { file: 'err.vir', lookupOp: lookupSampleOp, ...(weights ? { loadWeights: () => weights } : {}) }),
    (e: unknown) => {
      assert.ok(e instanceof VitcError, `not a VitcError: ${String(e)}`);
      assert.ok(!e.message.includes('\n'), `message spans lines: ${e.message}`);
      const prefix = `err.vir:${where}: `;
      assert.ok(e.message.startsWith(prefix), `expected position ${prefix} in: ${e.message}`);
      const rest = e.message.slice(prefix.length);
      if (typeof c.message === 'string') assert.equal(rest, c.message);
      else assert.match(rest, c.message);
      return true;
    },
  );
}
