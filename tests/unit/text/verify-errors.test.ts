import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VitcError } from '../../../ir/errors.js';
import { parseGraph } from '../../../ir/text/index.js';
import { verifyGraph } from '../../../ir/verify.js';
import { expectTextError, positionOf } from './error-helpers.js';

const G = (body: string): string => `graph @g(%x: f32[N,3], %w: f32[3,4]) {\n${body}\n}\n`;

test('use before definition names where the value is defined', () => {
  const text = G('  %y = relu(%z)\n  %z = relu(%x)\n  return %y');
  expectTextError({ text, at: { needle: '%z' }, message: `use of %z before its definition at ${positionOf(text, '%z', 1)}` });
  const self = G('  %0 = relu(%0)\n  return %x');
  expectTextError({ text: self, at: { needle: '%0', nth: 1 }, message: `use of %0 before its definition at ${positionOf(self, '%0')}` });
});

test('undefined values are reported at their use', () => {
  expectTextError({ text: G('  %y = matmul(%x, %"no such")\n  return %y'), at: { needle: '%"no such"' }, message: 'undefined value %"no such"' });
  expectTextError({ text: G('  return %y'), at: { needle: '%y' }, message: 'undefined value %y' });
});

test('duplicate definitions point at the second and name the first', () => {
  const twice = G('  %y = relu(%x)\n  %y = relu(%x)\n  return %y');
  expectTextError({ text: twice, at: { needle: '%y', nth: 1 }, message: `redefinition of %y (first defined at ${positionOf(twice, '%y')})` });
  const input = G('  %x = relu(%x)\n  return %x');
  expectTextError({ text: input, at: { needle: '%x = ' }, message: `redefinition of %x (first defined at ${positionOf(input, '%x')})` });
  const anon = G('  %3 = relu(%x)\n  %3 = relu(%x)\n  return %x');
  expectTextError({ text: anon, at: { needle: '%3', nth: 1 }, message: `redefinition of %3 (first defined at ${positionOf(anon, '%3')})` });
  const params = 'graph @g(%x: f32[1], %x: f32[2]) {\n  return %x\n}';
  expectTextError({ text: params, at: { needle: '%x', nth: 1 }, message: 'redefinition of %x (first defined at 1:10)' });
});

test('written result types are checked against inference', () => {
  const text = G('  %y = matmul(%x, %w) : f32[N,3]\n  return %y');
  expectTextError({ text, at: { needle: 'f32[N,3]', nth: 1 }, message: "result %y is declared f32[N,3] but 'matmul' produces f32[N,4]" });
  expectTextError({ text: G('  %y = relu(%x) : f16[N,3]\n  return %y'), at: { needle: 'f16' }, message: "result %y is declared f16[N,3] but 'relu' produces f32[N,3]" });
  expectTextError({ text: G('  %y = relu(%x) : f32[N,3], f32[N,3]\n  return %y'), at: { needle: 'f32[N,3],', nth: 1 }, message: "'relu' has 1 result, but 2 types are written" });
});

test('operand and result counts and inference failures point at the op', () => {
  expectTextError({ text: G('  %y = matmul(%x)\n  return %y'), at: { needle: 'matmul' }, message: "op 'matmul' takes 2 operands, got 1" });
  expectTextError({ text: G('  %y = relu(%x, %w)\n  return %y'), at: { needle: 'relu' }, message: "op 'relu' takes 1 operands, got 2" });
  expectTextError({ text: G('  %a, %b = relu(%x)\n  return %a'), at: { needle: '%a' }, message: "'relu' has 1 result, but 2 are named" });
  expectTextError({ text: G('  %y = split_n(%x) {axis = 1, sizes = [1, 2]}\n  return %y'), at: { needle: '%y' }, message: "'split_n' has 2 results, but 1 is named" });
  expectTextError({ text: G('  %y = matmul(%w, %x)\n  return %y'), at: { needle: 'matmul' }, message: "'matmul' contraction sizes differ: [3,4] · [N,3] (4 vs N)" });
  expectTextError({ text: G('  %y = split_n(%x) {axis = 5, sizes = [3]}\n  return %y'), at: { needle: 'split_n' }, message: 'axis 5 is out of range for rank 2' });
});

test('nodes keep file:line:col, so the verifier reports positions on graphs derived from text', () => {
  const text = G('  %a = relu(%x)\n  %b = matmul(%a, %w)\n  return %b');
  const g = parseGraph(text, { file: 'model.vir' });
  assert.deepEqual(g.nodes[1]!.loc, { file: 'model.vir', line: 3, col: 3 });
  // A broken rewrite: the matmul moved before the node defining its operand.
  const swapped = g.with({ nodes: [g.nodes[1]!, g.nodes[0]!] });
  assert.throws(
    () => verifyGraph(swapped),
    (e: unknown) => e instanceof VitcError && e.message.startsWith(`model.vir:${positionOf(text, '%b')}: `) && /use of %a before its definition/.test(e.message),
  );
});
