import { test } from 'node:test';
import { Tensor } from '../../../ir/tensor.js';
import { expectTextError } from './error-helpers.js';

const G = (body: string, params = '%x: f32[2,3]'): string => `graph @g(${params}) {\n${body}\n}\n`;

test('lexing errors point at the offending character', () => {
  expectTextError({ text: G('  %y = relu(%x) $\n  return %y'), at: { needle: '$' }, message: 'unexpected character "$"' });
  expectTextError({ text: G('  %y = relu(%x) loc("abc\n  return %y'), at: { needle: '"abc' }, message: 'unterminated string' });
  expectTextError({ text: G('  %y = relu(%x) loc("a\\qb")\n  return %y'), at: { needle: '"a\\' }, message: 'invalid escape sequence in string "a\\qb"' });
});

test('grammar errors are one line: what was expected and what was found', () => {
  expectTextError({ text: 'graph @g(%x: f32[3] {\n  return %x\n}', at: { needle: '{' }, message: "expected ')' but found '{'" });
  expectTextError({ text: G('  %y relu(%x)\n  return %y'), at: { needle: 'relu' }, message: "expected '=' but found 'relu'" });
  expectTextError({ text: G('  %y = every_attr(%x) {req = )}\n  return %y'), at: { needle: ')}' }, message: "expected string, '[', symbol (@...), 'dense', '-', number, integer or identifier but found ')'" });
  expectTextError({ text: G('  = relu(%x)\n  return %y'), at: { needle: '=' }, message: "expected '}' but found '='" });
  expectTextError({ text: 'graph @g(%x: f32[3]) {\n  return %x\n} extra', at: { needle: 'extra' }, message: "unexpected 'extra' after the end of the graph" });
  expectTextError({ text: 'graph g(%x: f32[3]) {}', at: '1:7', message: "expected symbol (@...) but found 'g'" });
  expectTextError({ text: 'graph @g(%x: f32[3, 4) {}', at: { needle: ')' }, message: "expected ']' but found ')'" });
});

test('an unexpected end of input points just past the last token', () => {
  const text = 'graph @g(%x: f32[3]) {\n  %y = relu(%x)\n  return %y  \n\n';
  expectTextError({ text, at: '3:12', message: "expected '}' but found end of input" });
  expectTextError({ text: '', at: '1:1', message: "expected 'graph' but found end of input" });
});

test('value and graph names are checked as they are read', () => {
  expectTextError({ text: G('  %"12" = relu(%x)\n  return %"12"'), at: { needle: '%"12"' }, message: 'value name %"12" is only digits, which is reserved for anonymous values (write %12 for value number 12)' });
  expectTextError({ text: G('  %"" = relu(%x)\n  return %x'), at: { needle: '%""' }, message: 'empty value name' });
  expectTextError({ text: 'graph @""() {\n  return\n}', at: '1:7', message: 'empty name after @' });
  expectTextError({ text: G('  return %x', '%0: f32[3]'), at: { needle: '%0' }, message: 'graph input %0 needs a name' });
});

test('ops and attributes are checked against the op schema at their positions', () => {
  expectTextError({ text: G('  %y = frobnicate(%x)\n  return %y'), at: { needle: 'frobnicate' }, message: "unknown op 'frobnicate'" });
  expectTextError({ text: G('  %y = gelu(%x) {approx = "tanh"}\n  return %y'), at: { needle: 'approx' }, message: "op 'gelu' has no attribute 'approx' (it has approximate)" });
  expectTextError({ text: G('  %y = relu(%x) {alpha = 1.0}\n  return %y'), at: { needle: 'alpha' }, message: "op 'relu' has no attribute 'alpha'" });
  // Keywords are identifiers wherever an identifier fits: here, an attribute name.
  expectTextError({ text: G('  %y = relu(%x) {return = 1}\n  return %y'), at: { needle: 'return' }, message: "op 'relu' has no attribute 'return'" });
  expectTextError({ text: G('  %y = gelu(%x) {approximate = "erf"}\n  return %y'), at: { needle: '"erf"' }, message: `attribute 'approximate' of 'gelu' must be one of "none", "tanh"` });
  expectTextError({ text: G('  %y = gelu(%x) {approximate = tanh}\n  return %y'), at: { needle: 'tanh' }, message: `attribute 'approximate' of 'gelu' must be a string` });
  expectTextError({ text: G('  %y = every_attr(%x) {req = 1.5}\n  return %y'), at: { needle: '1.5' }, message: "expected an integer, found '1.5'" });
  expectTextError({ text: G('  %y = every_attr(%x) {req = 1, is = 2}\n  return %y'), at: { needle: '2}' }, message: "attribute 'is' of 'every_attr' must be a list of integers" });
  expectTextError({ text: G('  %y = every_attr(%x) {req = 1, ds = [N, -2]}\n  return %y'), at: { needle: '-2' }, message: "expected a dimension (an integer ≥ 0, a symbol like N, or k*N), found '-2'" });
  expectTextError({ text: G('  %y = every_attr(%x) {req = 1, b = 1}\n  return %y'), at: { needle: '1}' }, message: "expected true or false, found '1'" });
  expectTextError({ text: G('  %y = every_attr(%x) {req = 1, dt = float32}\n  return %y'), at: { needle: 'float32' }, message: "unknown element type 'float32' (expected one of f32, f16, i64, i32, i8, u8, bool)" });
  expectTextError({ text: G('  %y = every_attr(%x) {req = 1, fs = [1.0, x]}\n  return %y'), at: { needle: 'x]' }, message: "expected a number, found 'x'" });
  expectTextError({ text: G('  %y = every_attr(%x) {req = 1, t = [1]}\n  return %y'), at: { needle: '[1]' }, message: `attribute 't' of 'every_attr' must be a tensor (dense<...> : type or @"key" : type)` });
  expectTextError({ text: G('  %y = every_attr(%x) {req = 1, req = 2}\n  return %y'), at: { needle: 'req', nth: 1 }, message: "attribute 'req' is given twice" });
  expectTextError({ text: G('  %y = every_attr(%x) {req = 99999999999999999}\n  return %y'), at: { needle: '999' }, message: 'integer 99999999999999999 is out of range (beyond ±2^53)' });
  expectTextError({ text: G('  %y = cast(%x)\n  return %y'), at: { needle: 'cast' }, message: "op 'cast' needs attribute 'to'" });
});

test('types and dense literals are checked element by element', () => {
  expectTextError({ text: G('  return %x', '%x: f31[3]'), at: { needle: 'f31' }, message: "unknown element type 'f31' (expected one of f32, f16, i64, i32, i8, u8, bool)" });
  expectTextError({ text: G('  return %x', '%x: f32[3, 1.5]'), at: { needle: '1.5' }, message: "expected a dimension (an integer ≥ 0, a symbol like N, or k*N), found '1.5'" });
  expectTextError({ text: G('  %c = const dense<[1.0, 2.0]> : f32[3]\n  return %c'), at: { needle: '[1.0' }, message: 'dense literal has 2 elements but f32[3] needs 3' });
  expectTextError({ text: G('  %c = const dense<[1, 200]> : i8[2]\n  return %c'), at: { needle: '200' }, message: '200 is out of range for i8 (-128..127)' });
  expectTextError({ text: G('  %c = const dense<[1, 2.5]> : i64[2]\n  return %c'), at: { needle: '2.5' }, message: "expected an integer (i64 element), found '2.5'" });
  expectTextError({ text: G('  %c = const dense<[true, 1]> : bool[2]\n  return %c'), at: { needle: '1]' }, message: "expected true or false, found '1'" });
  expectTextError({ text: G('  %c = const dense<[1.0]> : f32[N]\n  return %c'), at: { needle: 'f32[N]' }, message: 'a constant tensor needs a static shape, got f32[N]' });
  expectTextError({ text: G('  %c = const dense<1.0>\n  return %c'), at: { needle: 'dense' }, message: "'const' needs exactly one result type after ':'" });
  expectTextError({ text: G('  %y = relu dense<1.0> : f32[]\n  return %y'), at: { needle: 'dense' }, message: "only 'const' takes a value before its type; 'relu' does not" });
});

test('out-of-line weights: clause, loader, key and type are all checked', () => {
  const w = new Map([['w', Tensor.f32([2, 2], [1, 2, 3, 4])]]);
  const withClause = (body: string): string => `graph @g() weights "g.safetensors" {\n${body}\n}`;
  expectTextError({ text: G('  %c = const @"w" : f32[2,2]\n  return %c'), at: { needle: '@"w"' }, message: `@"w" refers to a weights file, but the graph has no 'weights "..."' clause`, weights: w });
  expectTextError({ text: withClause('  %c = const @"w" : f32[2,2]\n  return %c'), at: { needle: '@"w"' }, message: '@"w" needs the weights file "g.safetensors", but no weights loader was given (read .vir files with readVir)' });
  expectTextError({ text: withClause('  %c = const @"v" : f32[2,2]\n  return %c'), at: { needle: '@"v"' }, message: 'the weights file "g.safetensors" has no tensor "v"', weights: w });
  expectTextError({ text: withClause('  %c = const @w : f32[4]\n  return %c'), at: { needle: 'f32[4]' }, message: 'weight @w is f32[2,2] in the weights file, but f32[4] here', weights: w });
});

test('weights paths may not leave the folder of the .vir file', () => {
  const clause = (p: string): string => `graph @g() weights ${JSON.stringify(p)} {\n  return\n}`;
  const bad: [string, string][] = [
    ['../w.safetensors', 'the weights path "../w.safetensors" leads outside the .vir file\'s folder'],
    ['a/../../w.safetensors', 'the weights path "a/../../w.safetensors" leads outside the .vir file\'s folder'],
    ['/etc/w.safetensors', 'the weights path "/etc/w.safetensors" is absolute; it must be relative to the .vir file\'s folder'],
    ['C:/w.safetensors', 'the weights path "C:/w.safetensors" is absolute; it must be relative to the .vir file\'s folder'],
    ['a\\..\\..\\w', `the weights path "a\\..\\..\\w" contains '\\'; use '/' to separate folders`],
    ['', 'the weights path is empty'],
    ['sub/..', 'the weights path "sub/.." names a folder, not a file'],
  ];
  for (const [p, message] of bad) expectTextError({ text: clause(p), at: { needle: JSON.stringify(p) }, message });
});

test('the return statement: exactly one, last, of named values', () => {
  expectTextError({ text: G('  %y = relu(%x)'), at: { needle: '}' }, message: 'graph @g has no \'return\'' });
  expectTextError({ text: G('  return %x\n  %y = relu(%x)'), at: { needle: '%y' }, message: "statement after 'return' (at 2:3)" });
  expectTextError({ text: G('  %0 = relu(%x)\n  return %0'), at: { needle: '%0', nth: 1 }, message: 'graph output %0 needs a name; only named values can be returned' });
  expectTextError({ text: G('  return %x, %x'), at: { needle: '%x', nth: 2 }, message: '%x is returned twice' });
});
