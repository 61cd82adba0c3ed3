import assert from 'node:assert/strict';
import { test } from 'node:test';
import { printIrAfterAll, printIrAfterChange } from '../../../compiler/instruments/print-ir.js';
import { timePasses } from '../../../compiler/instruments/time-passes.js';
import { PassFailure, runPipeline } from '../../../compiler/pass-manager.js';
import { parsePipeline } from '../../../compiler/pipeline.js';
import { GraphBuilder } from '../../../ir/builder.js';
import { fail, VitcError } from '../../../ir/errors.js';
import type { Graph } from '../../../ir/graph.js';
import { Add, Relu } from '../../../ir/ops/index.js';
import { printGraph } from '../../../ir/text/index.js';
import { tensorType } from '../../../ir/types.js';
import { definePass, type PassDef } from '../../../passes/pass.js';
import { Cse } from '../../../passes/cse.js';
import { Dce } from '../../../passes/dce.js';
import { InferShapes } from '../../../passes/infer-shapes.js';
import { buildPassRegistry, PASS_REGISTRY } from '../../../passes/registry.js';

/** x[N,4] → relu → relu → add(r1, r2) → out, plus a dead relu. */
function sample(shape: readonly (number | string)[] = ['N', 4]): Graph {
  const b = new GraphBuilder('g');
  const x = b.input('x', tensorType('f32', shape));
  const r1 = b.add1(Relu, [x], {});
  const r2 = b.add1(Relu, [x], {});
  b.add1(Relu, [r1], {});
  b.output(b.add1(Add, [r1, r2], {}), 'out');
  return b.build();
}

/** Rebuilds the graph node by node: a new Graph object that prints the same. */
function copyGraph(g: Graph): Graph {
  const b = GraphBuilder.derive(g);
  for (const n of g.nodes) b.copyNode(n, n.inputs);
  b.setOutputs(g.outputs);
  return b.build();
}

const test_ = (name: string, parts: Partial<PassDef>): PassDef =>
  definePass({ name, summary: 'test', options: {}, requires: [], establishes: [], preserves: [], run: copyGraph, ...parts } as PassDef);

const NeedsStatic = test_('needs-static', { requires: ['static-shapes'] });
const NeedsCanon = test_('needs-canonical', { requires: ['canonical'] });
const Canon = test_('make-canonical', { establishes: ['canonical'], preserves: ['static-shapes'] });
const Breaker = test_('breaker', { preserves: [] });
const Rebuild = test_('rebuild', { preserves: 'all' });
const Dangling = test_('dangling', { run: (g) => g.with({ nodes: g.nodes.slice(0, -1) }) });
const Liar = test_('liar', { establishes: ['static-shapes'] });
const Crash = test_('crash', {
  run: () => {
    throw new TypeError('boom');
  },
});
const UserError = test_('user-error', { run: () => fail('the batch does not fit') });
const REG = buildPassRegistry([...PASS_REGISTRY.values(), NeedsStatic, NeedsCanon, Canon, Breaker, Rebuild, Dangling, Liar, Crash, UserError]);

const pipe = (text: string) => parsePipeline(text, 'pipeline', REG);
const run = (g: Graph, text: string, opts: Parameters<typeof runPipeline>[2] = {}) => runPipeline(g, pipe(text), { registry: REG, ...opts });

/** A pass that records that it ran; must stay at zero when a pipeline is refused. */
function counting(): { pass: PassDef; count: () => number } {
  let n = 0;
  return {
    pass: test_('counted', {
      run: (g) => {
        n++;
        return g;
      },
    }),
    count: () => n,
  };
}

test('refuses up front a pass whose requirement nothing establishes, naming the providers', () => {
  const c = counting();
  const reg = buildPassRegistry([...REG.values(), c.pass]);
  assert.throws(
    () => runPipeline(sample(), parsePipeline('counted,dce,needs-static', 'pipeline', reg), { registry: reg }),
    (e: unknown) => {
      assert.ok(e instanceof VitcError);
      assert.equal(e.loc?.col, 13);
      assert.match(e.message, /^pipeline:1:13: pass 'needs-static' requires 'static-shapes', which does not hold here: nothing before it establishes it; it is established by 'infer-shapes\{batch=\.\.\.\}' or 'liar', which must come earlier$/);
      return true;
    },
  );
  assert.equal(c.count(), 0, 'no pass ran');
});

test('names the pass that dropped a required property', () => {
  assert.throws(
    () => run(sample(), 'make-canonical,breaker,needs-canonical'),
    /pipeline:1:24: pass 'needs-canonical' requires 'canonical', which does not hold here: 'breaker' \(column 16\) does not preserve it; it is established by 'canonicalize' or 'make-canonical', which must come earlier$/,
  );
  // A pass that preserves the property keeps it; infer-shapes{batch} establishes static-shapes.
  const r = run(sample(), 'make-canonical,rebuild,needs-canonical,infer-shapes{batch=3},needs-static');
  assert.deepEqual(r.graph.outputs[0]!.type.shape, [3, 4]);
  assert.equal(r.properties.size, 0, 'needs-static rebuilt the graph and preserves nothing');
});

test('properties the input graph has by their checks count as established', () => {
  assert.doesNotThrow(() => run(sample([2, 4]), 'needs-static'));
  assert.throws(() => run(sample(), 'needs-static'), /requires 'static-shapes'/);
  assert.doesNotThrow(() => run(sample(), 'needs-canonical', { initialProperties: ['canonical'] }));
});

test('tracks properties: a changing pass drops what it does not preserve; an unchanged graph keeps all', () => {
  const r1 = run(sample([2, 4]), 'make-canonical,dce');
  assert.deepEqual([...r1.properties].sort(), ['canonical', 'no-dead-code', 'static-shapes']);
  const r2 = run(sample([2, 4]), 'make-canonical,dce,breaker');
  assert.deepEqual([...r2.properties].sort(), []);
  // A pass that returns its input unchanged keeps every property, declared or not.
  const Same = test_('same', { run: (g) => g, preserves: [] });
  const reg = buildPassRegistry([...REG.values(), Same]);
  const r3 = runPipeline(sample([2, 4]), parsePipeline('cse,same', 'pipeline', reg), { registry: reg });
  assert.ok(r3.properties.has('deduplicated'));
});

test('verifies after each pass and names the pass that produced an invalid graph', () => {
  assert.throws(
    () => run(sample(), 'dce,dangling'),
    (e: unknown) => {
      assert.ok(e instanceof PassFailure, String(e));
      assert.match(e.message, /^pass 'dangling' \(2\/2\) produced an invalid graph: .*dangling/);
      assert.equal(e.entry.pass.name, 'dangling');
      assert.equal(e.input.nodes.length, 3, 'carries the input of the failing pass (after dce)');
      return true;
    },
  );
  // With verification off the broken graph goes through.
  assert.doesNotThrow(() => run(sample(), 'dangling', { verifyEach: false }));
});

test('checks a claimed property, and wraps crashes and input errors with the pass name', () => {
  assert.throws(() => run(sample(), 'liar'), (e: unknown) => e instanceof PassFailure && /pass 'liar' \(1\/1\) claims to establish 'static-shapes', but value %x has symbolic shape \[N,4\]/.test(e.message));
  assert.throws(() => run(sample(), 'crash'), (e: unknown) => e instanceof PassFailure && /pass 'crash' crashed: boom/.test(e.message) && e.cause instanceof TypeError);
  assert.throws(() => run(sample(), 'user-error'), (e: unknown) => e instanceof VitcError && e.message === "in pass 'user-error': the batch does not fit");
});

/** Stand-in printer: one line per node, so changes are visible. */
const printOps = (g: Graph) => g.nodes.map((n) => `${n.op.name}(${n.inputs.map((v) => v.id).join(',')})`).join('\n');

test('print-ir-after-change prints only passes that changed the printed IR', () => {
  let out = '';
  run(sample(), 'rebuild,cse,dce,rebuild', { instruments: [printIrAfterChange((s) => (out += s), printOps)] });
  const headers = out.split('\n').filter((l) => l.startsWith('//'));
  // rebuild: new graph object, same text; cse merges the two relus and drops the dead one; dce
  // then has nothing left to do.
  assert.deepEqual(headers, ['// ----- IR after cse (2/4) -----']);
  assert.equal(out, `// ----- IR after cse (2/4) -----\nrelu(0)\nadd(1,1)\n`);
});

test('print-ir-after-all prints after every pass', () => {
  let out = '';
  run(sample(), 'rebuild,dce', { instruments: [printIrAfterAll((s) => (out += s), printOps)] });
  assert.equal(out, '// ----- IR after rebuild (1/2) -----\nrelu(0)\nrelu(0)\nrelu(1)\nadd(1,2)\n// ----- IR after dce (2/2) -----\nrelu(0)\nrelu(0)\nadd(1,2)\n');
});

test('time-passes prints one row per pass run and a total', () => {
  let out = '';
  run(sample(), 'dce,infer-shapes{batch=2},cse', { instruments: [timePasses((s) => (out += s))] });
  const lines = out.trimEnd().split('\n');
  assert.equal(lines[0], '===== pass timing (wall clock) =====');
  assert.match(lines[1]!, /^\s+ms\s+%\s+pass$/);
  const rows = lines.slice(2).map((l) => /^\s*(\d+\.\d{3})\s+(\d+\.\d)%\s+(\S+)$/.exec(l));
  assert.ok(rows.every((m) => m !== null), out);
  assert.deepEqual(
    rows.map((m) => m![3]),
    ['dce', 'infer-shapes{batch=2}', 'cse', 'total'],
  );
  const ms = rows.map((m) => Number(m![1]));
  const sum = ms.slice(0, 3).reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(sum - ms[3]!) < 0.01, 'total is the sum of the rows');
  const pct = rows.map((m) => Number(m![2]));
  if (ms[3]! > 0) assert.equal(pct[3], 100);
});

test('remarks go to the remarks sink with the pass name', () => {
  const Remarker = test_('remarker', {
    run: (g, _o, ctx) => {
      ctx.remark('hello');
      return g;
    },
  });
  const reg = buildPassRegistry([Remarker]);
  let out = '';
  runPipeline(sample(), parsePipeline('remarker', 'pipeline', reg), { registry: reg, remarks: (s) => (out += s) });
  assert.equal(out, 'remark: remarker: hello\n');
});

test('the registry holds the real passes and rejects a conditional property on a missing option', () => {
  for (const p of [InferShapes, Cse, Dce]) assert.equal(PASS_REGISTRY.get(p.name), p);
  assert.throws(() => buildPassRegistry([test_('x', { establishes: [{ property: 'static-shapes', whenOption: 'nope' }] })]), /no such option/);
  assert.throws(() => buildPassRegistry([Dce, Dce]), /duplicate pass name 'dce'/);
});

test('the IR dump instruments print the text IR by default', () => {
  let out = '';
  const r = run(sample(), 'dce,dce', { instruments: [printIrAfterChange((s) => (out += s))] });
  assert.equal(out, `// ----- IR after dce (1/2) -----\n${printGraph(r.graph).text}`);
  assert.match(out, /^graph @g\(%x: f32\[N,4\]\) \{$/m);
});
