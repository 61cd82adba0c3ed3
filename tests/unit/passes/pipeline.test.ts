import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatPassHelp } from '../../../compiler/pipeline-help.js';
import { formatPipeline, parsePipeline } from '../../../compiler/pipeline.js';
import { VitcError } from '../../../ir/errors.js';
import { opt } from '../../../passes/options.js';
import { definePass } from '../../../passes/pass.js';
import { buildPassRegistry } from '../../../passes/registry.js';

// Stand-ins with the option shapes of later passes; they never run here.
const keep = (g: never) => g;
const Ppt = definePass({
  name: 'ppt',
  summary: 'test',
  options: {
    layers: opt.ints('layers', { min: 0 }),
    r: opt.int('tokens', { default: 16, min: 1 }),
    tau: opt.float('threshold', { default: 1e-4 }),
  },
  requires: [],
  establishes: [],
  preserves: 'all',
  run: keep,
});
const AttnToConv = definePass({
  name: 'attn-to-conv',
  summary: 'test',
  options: { auto: opt.flag('pick layers'), threshold: opt.float('t', { default: 0.3, min: 0, max: 1 }), mode: opt.oneOf(['fast', 'exact'], 'm', 'exact') },
  requires: [],
  establishes: [],
  preserves: 'all',
  run: keep,
});
const Cast = definePass({
  name: 'cast-weights',
  summary: 'test',
  options: { to: opt.dtype('target') },
  requires: [],
  establishes: [],
  preserves: 'all',
  run: keep,
});
const Plain = definePass({ name: 'plain', summary: 'test', options: {}, requires: [], establishes: [], preserves: 'all', run: keep });
const REG = buildPassRegistry([Ppt, AttnToConv, Cast, Plain]);

const parse = (s: string) => parsePipeline(s, 'pipeline', REG);

function throwsAt(text: string, col: number, message: RegExp): void {
  assert.throws(
    () => parse(text),
    (e: unknown) => {
      assert.ok(e instanceof VitcError, String(e));
      assert.equal(e.loc?.col, col, `column for ${JSON.stringify(text)}: ${e.message}`);
      assert.equal(e.loc?.line, 1);
      assert.match(e.bareMessage, message);
      assert.ok(e.message.startsWith(`pipeline:1:${col}: `), e.message);
      return true;
    },
  );
}

test('parses names, lists, floats with exponents and bare flags', () => {
  const p = parse('plain, ppt{layers=3,6,9 r=50 tau=7e-5},attn-to-conv{auto threshold=0.5}');
  assert.deepEqual(
    p.entries.map((e) => [e.pass.name, e.col]),
    [
      ['plain', 1],
      ['ppt', 8],
      ['attn-to-conv', 40],
    ],
  );
  assert.deepEqual(p.entries[1]!.options, { layers: [3, 6, 9], r: 50, tau: 7e-5 });
  assert.deepEqual(p.entries[2]!.options, { auto: true, threshold: 0.5, mode: 'exact' });
});

test('fills defaults, accepts flag=false, one-element lists and dtypes', () => {
  const p = parse('ppt{layers=4}, attn-to-conv{auto=false mode=fast}, cast-weights{to=f16}');
  assert.deepEqual(p.entries[0]!.options, { layers: [4], r: 16, tau: 1e-4 });
  assert.deepEqual(p.entries[1]!.options, { auto: false, threshold: 0.3, mode: 'fast' });
  assert.deepEqual(p.entries[2]!.options, { to: 'f16' });
});

test('the empty pipeline has no passes; whitespace is free around separators', () => {
  assert.equal(parse('').entries.length, 0);
  assert.equal(parse('  ').entries.length, 0);
  assert.equal(parse(' plain ,\tplain{ } ').entries.length, 2);
});

test('formatPipeline prints options that differ from defaults and re-parses to the same options', () => {
  const text = 'plain,ppt{layers=3,6,9 r=50 tau=0.00007},attn-to-conv{auto threshold=0.5}';
  const p = parse(text);
  assert.equal(formatPipeline(p.entries), 'plain,ppt{layers=3,6,9 r=50 tau=0.00007},attn-to-conv{auto threshold=0.5}');
  const again = parse(formatPipeline(p.entries));
  assert.deepEqual(
    again.entries.map((e) => e.options),
    p.entries.map((e) => e.options),
  );
  assert.equal(formatPipeline(parse('ppt{layers=1 r=16}').entries), 'ppt{layers=1}');
});

test('unknown pass: column of its name and a suggestion', () => {
  throwsAt('plain,pptt', 7, /unknown pass 'pptt' \(did you mean 'ppt'\?\)/);
  throwsAt('plain, zzzzzzzz', 8, /^unknown pass 'zzzzzzzz'$/);
});

test('unknown option: column of the key, and the options the pass takes', () => {
  throwsAt('ppt{layers=1 q=2}', 14, /unknown option 'q' for pass 'ppt'; it takes layers, r, tau/);
  throwsAt('plain{x}', 7, /unknown option 'x' for pass 'plain'; it takes no options/);
});

test('bad values: column of the offending value', () => {
  throwsAt('ppt{layers=3,x,9}', 14, /option 'layers' of 'ppt' must be an integer, got 'x'/);
  throwsAt('ppt{layers=1 r=1.5}', 16, /must be an integer, got '1.5'/);
  throwsAt('ppt{layers=1 r=0}', 16, /must be at least 1, got 0/);
  throwsAt('ppt{layers=1 tau=abc}', 18, /must be a number, got 'abc'/);
  throwsAt('attn-to-conv{threshold=2}', 24, /must be at most 1, got 2/);
  throwsAt('attn-to-conv{auto=yes}', 19, /is a flag: write 'auto', 'auto=true' or 'auto=false', not 'yes'/);
  throwsAt('attn-to-conv{mode=slow}', 19, /must be one of fast, exact; got 'slow'/);
  throwsAt('attn-to-conv{threshold=0.1,0.2}', 28, /takes one value, not a list/);
  throwsAt('cast-weights{to=f64}', 17, /must be an element type, got 'f64'/);
});

test('missing, repeated and valueless options', () => {
  throwsAt('plain,ppt', 7, /pass 'ppt' needs option 'layers'/);
  throwsAt('ppt{layers=1 layers=2}', 14, /option 'layers' of 'ppt' is given twice/);
  throwsAt('ppt{layers}', 5, /option 'layers' of 'ppt' needs a value/);
  throwsAt('ppt{layers= r=1}', 12, /option 'layers' needs a value after '='/);
});

test('syntax errors point at the character', () => {
  throwsAt('plain,', 7, /expected a pass name at the end/);
  throwsAt('plain,,plain', 7, /expected a pass name, found ','/);
  throwsAt('plain plain', 7, /expected ',' between passes, found 'p'/);
  throwsAt('ppt{layers=1', 13, /unclosed '\{' in the options of 'ppt'/);
  throwsAt('ppt{layers=1}}', 14, /expected ',' between passes, found '\}'/);
  throwsAt('Plain', 1, /expected a pass name, found 'P'/);
});

test('pass help lists every registered pass with its options and contract', () => {
  const help = formatPassHelp(REG);
  assert.match(help, /^ppt: test\n {4}layers=<ints\[0\.\.\]> \(required\)  layers\n {4}r=<int\[1\.\.\]> \(default 16\)  tokens\n/m);
  assert.match(help, /^ {4}mode=fast\|exact \(default exact\)  m$/m);
  assert.match(help, /^ {4}static-shapes: /m);
  const real = formatPassHelp();
  assert.match(real, /^infer-shapes: .*\n {4}batch=<int\[1\.\.\]> \(optional\) .*\n {4}establishes: static-shapes \(with batch\)$/m);
});
