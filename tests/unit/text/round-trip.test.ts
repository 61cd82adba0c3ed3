import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { GraphBuilder } from '../../../ir/builder.js';
import { DTYPES, type DType } from '../../../ir/dtype.js';
import type { Graph } from '../../../ir/graph.js';
import { MatMul, Relu } from '../../../ir/ops/index.js';
import { decodeSafetensors, encodeSafetensors } from '../../../ir/safetensors.js';
import { Tensor } from '../../../ir/tensor.js';
import { parseGraph, printGraph } from '../../../ir/text/index.js';
import { tensorType } from '../../../ir/types.js';
import { verifyGraph } from '../../../ir/verify.js';
import { assertGraphsEquivalent } from './compare-graphs.js';
import { EveryAttr, FillSym, lookupSampleOp, SplitN, WithBias } from './sample-ops.js';

/** print → parse → print, checking the graph survives and the second print is identical. */
function roundTrip(g: Graph, opts: { inlineLimit?: number } = {}): { text: string; weights: Map<string, Tensor>; back: Graph } {
  verifyGraph(g);
  const printed = printGraph(g, opts);
  // The weights also go through the safetensors encoding, as they do on disk.
  const stored = decodeSafetensors(encodeSafetensors(printed.weights), 'mem.safetensors').tensors;
  const back = parseGraph(printed.text, {
    file: 'rt.vir',
    lookupOp: lookupSampleOp,
    loadWeights: () => stored,
  });
  assertGraphsEquivalent(g, back);
  assert.equal(printGraph(back, opts).text, printed.text);
  return { text: printed.text, weights: printed.weights, back };
}

/** A deterministic sequence of `n` values for dtype, spread over its range. */
function sampleTensor(dtype: DType, shape: number[], seed: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const t = new Tensor(dtype, shape);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const u = s / 2 ** 31;
    switch (dtype) {
      case 'f32':
        t.data[i] = (u - 0.5) * 10 ** ((i % 9) - 4);
        break;
      case 'f16':
        t.data[i] = s & 0x7bff; // finite halves of both signs are below 0x7c00 | 0x8000
        if (i % 2) t.data[i] = t.data[i]! | 0x8000;
        break;
      case 'i64':
        t.data[i] = Math.round((u - 0.5) * 2 ** 52) || 0; // no -0: i64 storage is a Float64Array
        break;
      case 'i32':
        t.data[i] = Math.round((u - 0.5) * 2 ** 31);
        break;
      case 'i8':
        t.data[i] = Math.round(u * 255) - 128;
        break;
      case 'u8':
        t.data[i] = Math.round(u * 255);
        break;
      case 'bool':
        t.data[i] = u > 0.5 ? 1 : 0;
        break;
    }
  }
  return t;
}

test('every attribute kind, defaults omitted, round-trips exactly', () => {
  const b = new GraphBuilder('attrs');
  const x = b.input('x', tensorType('f32', ['N', 8, 6]));
  const plain = b.add1(EveryAttr, [x], { req: 3, mode: 'none' }) // attr.oneOf's default does not make 'mode' optional in AttrsIn (ir/attrs.ts);
  const small = Tensor.fromNumbers('i32', [2], [5, -6]);
  const full = b.add1(
    EveryAttr,
    [plain],
    {
      req: -7,
      i: 0,
      f: -0,
      b: true,
      mode: 'tanh',
      label: 'a "quoted"\nlabel \\ ünïcødé',
      is: [1, -2, 3],
      fs: [0.1, -2.5, 1e-7, Infinity, -Infinity, NaN, 3, 1e300, 5e-324],
      ds: ['N', '4*N', 7, 0],
      dt: 'f16',
      t: small,
      maybe: 1e-5,
    },
    { name: '/blocks.0/attn' },
  );
  const empties = b.add1(EveryAttr, [full], { req: 0, mode: 'none', f: 2, is: [], fs: [], ds: [], label: '' });
  b.output(empties, 'y');
  const { text } = roundTrip(b.build());
  const lines = text.split('\n');
  // Defaults are left out: only the required attribute shows.
  assert.equal(lines[1], `  %${plain.id} = every_attr(%x) {req = 3} : f32[N,8,6]`);
  assert.match(lines[2]!, /{req = -7, i = 0, f = -0\.0, b = true, mode = "tanh", label = "a \\"quoted\\"\\nlabel \\\\ ünïcødé", /);
  assert.match(lines[2]!, /is = \[1, -2, 3\], fs = \[0\.1, -2\.5, 1e-07, inf, -inf, nan, 3\.0, 1e\+300, 5e-324\], ds = \[N, 4\*N, 7, 0\], dt = f16, /);
  assert.match(lines[2]!, /t = dense<\[5, -6\]> : i32\[2\], maybe = 1e-05} : f32\[N,8,6\] loc\("\/blocks\.0\/attn"\)$/);
  // Attributes equal to their default are omitted even when given explicitly (f = 2.0 is not the default).
  assert.equal(lines[3], `  %y = every_attr(%${full.id}) {req = 0, f = 2.0} : f32[N,8,6]`);
});

test('multi-result ops, optional operands, zero-operand ops and symbolic dims round-trip', () => {
  const b = new GraphBuilder('multi');
  const x = b.input('x', tensorType('f32', ['N', 2, 6]));
  const [left, right] = b.add(SplitN, [x], { axis: -1, sizes: [2, 4] });
  const [only] = b.add(SplitN, [right!], { axis: 1, sizes: [2] }, { outNames: ['only'] });
  const sym = b.add1(FillSym, [], { shape: ['4*N', 3, 'N'], dtype: 'i8' });
  const noBias = b.add1(WithBias, [left!], {});
  const withBias = b.add1(WithBias, [left!, noBias], {});
  b.output(withBias, 'biased');
  b.output(only!, 'only');
  b.output(sym, 'sym');
  const { text } = roundTrip(b.build());
  assert.ok(text.includes(`  %${left!.id}, %${right!.id} = split_n(%x) {axis = -1, sizes = [2, 4]} : f32[N,2,2], f32[N,2,4]\n`), text);
  assert.ok(text.includes(`  %sym = fill_sym() {shape = [4*N, 3, N], dtype = i8} : i8[4*N,3,N]\n`), text);
  assert.ok(text.includes(`  %${noBias.id} = with_bias(%${left!.id}) : f32[N,2,2]\n`), text);
  assert.ok(text.endsWith('  return %biased, %only, %sym\n}\n'), text);
});

test('inline constants of every dtype, including edge values and empty shapes', () => {
  const b = new GraphBuilder('consts');
  const f32 = Tensor.f32([12], [0, -0, 1, -1.5, 0.1, 1e-45, 3.4028234663852886e38, Infinity, -Infinity, NaN, 16777217, 1 / 3]);
  const f16 = new Tensor('f16', [8], Uint16Array.from([0x0001, 0x7bff, 0x3555, 0x8000, 0x7c00, 0xfc00, 0x7e00, 0x3c00]));
  const i64 = Tensor.fromNumbers('i64', [5], [0, -1, 2 ** 53 - 1, -(2 ** 53 - 1), 12345678901]);
  const i32 = Tensor.fromNumbers('i32', [3], [-(2 ** 31), 2 ** 31 - 1, 0]);
  const i8 = Tensor.fromNumbers('i8', [3], [-128, 127, 0]);
  const u8 = Tensor.fromNumbers('u8', [3], [0, 255, 7]);
  const bool = Tensor.fromNumbers('bool', [2, 2], [1, 0, 0, 1]);
  const outs = [f32, f16, i64, i32, i8, u8, bool].map((t, i) => b.constant(t, `k${i}`));
  for (const d of DTYPES) outs.push(b.constant(sampleTensor(d, [], 7), `scalar_${d}`));
  outs.push(b.constant(new Tensor('f32', [0]), 'none'));
  outs.push(b.constant(new Tensor('i64', [2, 0, 3]), 'none3'));
  outs.forEach((v) => b.output(v));
  const { text, weights } = roundTrip(b.build());
  assert.equal(weights.size, 0);
  assert.ok(text.includes('%k0 = const dense<[0.0, -0.0, 1.0, -1.5, 0.1, 1e-45, 3.4028235e+38, inf, -inf, nan, 16777216.0, 0.33333334]> : f32[12]'), text);
  assert.ok(text.includes('%k1 = const dense<[6e-08, 65500.0, 0.3333, -0.0, inf, -inf, nan, 1.0]> : f16[8]'), text);
  assert.ok(text.includes('%k2 = const dense<[0, -1, 9007199254740991, -9007199254740991, 12345678901]> : i64[5]'), text);
  assert.ok(text.includes('%k6 = const dense<[true, false, false, true]> : bool[2,2]'), text);
  assert.match(text, /%scalar_i64 = const dense<-?\d+> : i64\[\]/);
  assert.ok(text.includes('%none = const dense<[]> : f32[0]'), text);
  assert.ok(text.includes('%none3 = const dense<[]> : i64[2,0,3]'), text);
});

test('large constants of every dtype go out of line under unique keys and come back bit for bit', () => {
  const b = new GraphBuilder('weights');
  const x = b.input('x', tensorType('f32', [2, 17]));
  const w = b.constant(sampleTensor('f32', [17, 3], 1), 'encoder.layer.0.weight');
  b.output(b.add1(MatMul, [x, w], {}), 'y');
  const shared = sampleTensor('f16', [4, 5], 2);
  const outs = DTYPES.map((d, i) => b.constant(sampleTensor(d, [17 + i], 3 + i), `w_${d}`));
  outs.push(b.constant(shared)); // anonymous: key c<id>
  outs.push(b.constant(shared, 'same_tensor_again')); // the same tensor object shares its key
  outs.push(b.constant(sampleTensor('i8', [20], 9), 'onnx::MatMul_12'));
  const anon2 = b.constant(sampleTensor('u8', [20], 11));
  outs.push(anon2);
  outs.push(b.constant(sampleTensor('u8', [20], 10), `c${anon2.id}`)); // a name equal to a generated key
  outs.forEach((v, i) => b.output(b.add1(Relu, [v.type.dtype === 'bool' ? outs[0]! : v], {}), `out${i}`));
  const { text, weights } = roundTrip(b.build());
  const anon = outs[DTYPES.length]!;
  assert.ok(text.startsWith('graph @weights(%x: f32[2,17]) weights "weights.safetensors" {\n'), text);
  assert.ok(text.includes('%"encoder.layer.0.weight" = const @"encoder.layer.0.weight" : f32[17,3]') || text.includes('%encoder.layer.0.weight = const @"encoder.layer.0.weight" : f32[17,3]'), text);
  assert.ok(text.includes(`%${anon.id} = const @"c${anon.id}" : f16[4,5]`), text);
  assert.ok(text.includes(`%same_tensor_again = const @"c${anon.id}" : f16[4,5]`), text);
  assert.ok(text.includes('%"onnx::MatMul_12" = const @"onnx::MatMul_12" : i8[20]'), text);
  assert.ok(text.includes(`%${anon2.id} = const @"c${anon2.id}" : u8[20]`), text);
  assert.ok(text.includes(`%c${anon2.id} = const @"c${anon2.id}.1" : u8[20]`), text);
  const keys = [...weights.keys()];
  assert.equal(new Set(keys).size, keys.length);
  assert.equal(keys.length, 1 + DTYPES.length + 1 + 1 + 2);
  for (const d of DTYPES) assert.ok(weights.has(`w_${d}`));
});

test('the inline limit decides inline versus out of line', () => {
  const b = new GraphBuilder('limit');
  b.output(b.constant(sampleTensor('f32', [16], 1), 'a'));
  b.output(b.constant(sampleTensor('f32', [17], 1), 'b'));
  const g = b.build();
  const dflt = printGraph(g);
  assert.deepEqual([...dflt.weights.keys()], ['b']);
  assert.deepEqual([...printGraph(g, { inlineLimit: 0 }).weights.keys()], ['a', 'b']);
  assert.equal(printGraph(g, { inlineLimit: 100 }).weights.size, 0);
  roundTrip(g, { inlineLimit: 0 });
});

test('quoted graph, value and node names round-trip; bare names stay bare', () => {
  const b = new GraphBuilder('my graph "v2"');
  const x = b.input('input image', tensorType('f32', [3]));
  const y = b.add1(Relu, [x], {}, { name: 'Relu "0"\t\\', outNames: ['onnx::Relu_3'] });
  const z = b.add1(Relu, [y], {}, { outNames: ['_ok.name_9'] });
  const u = b.add1(Relu, [z], {}, { outNames: ['9lives'] });
  const e = b.add1(Relu, [u], {}, { outNames: ['ëmoji 🙂'] });
  b.output(e);
  const { text } = roundTrip(b.build());
  assert.ok(text.startsWith('graph @"my graph \\"v2\\""(%"input image": f32[3]) {'), text);
  assert.ok(text.includes('%"onnx::Relu_3" = relu(%"input image") : f32[3] loc("Relu \\"0\\"\\t\\\\")'), text);
  assert.ok(text.includes('%_ok.name_9 = relu(%"onnx::Relu_3")'), text);
  assert.ok(text.includes('%"9lives" = relu(%_ok.name_9)'), text);
  assert.ok(text.includes('return %"ëmoji 🙂"'), text);
});

test('anonymous values keep their ids, however sparse; named values get ids above them', () => {
  const b = new GraphBuilder('ids', 1000);
  const x = b.input('x', tensorType('f32', [2]));
  const y = b.add1(Relu, [x], {});
  const z = b.add1(Relu, [y], {}, { outNames: ['z'] });
  b.output(z);
  const { back } = roundTrip(b.build());
  assert.equal(back.nodes[0]!.outputs[0]!.id, y.id);
  const ids = [...back.inputs, ...back.nodes.flatMap((n) => n.outputs)].map((v) => v.id);
  assert.equal(new Set(ids).size, ids.length);
  assert.ok(back.inputs[0]!.id > y.id && back.outputs[0]!.id > y.id);
});

test('result types may be left out and are then inferred; comments are ignored', () => {
  const text = `// a graph written by hand
graph @g(%x: f32[N,4], %w: f32[4,2]) { // trailing comment
  %0 = matmul(%x, %w)
  // %1 = nothing(%0)
  %y = relu(%0)
  %k = const dense<[1, 2]> : i64[2]
  return %y, %k
}`;
  const g = parseGraph(text, { file: 'hand.vir' });
  assert.deepEqual(g.outputs[0]!.type, tensorType('f32', ['N', 2]));
  assert.equal(g.nodes[0]!.outputs[0]!.id, 0);
  assert.deepEqual(g.nodes[0]!.loc, { file: 'hand.vir', line: 3, col: 3 });
  const printed = printGraph(g).text;
  assert.ok(printed.includes('  %0 = matmul(%x, %w) : f32[N,2]\n'), printed);
  assert.equal(printGraph(parseGraph(printed)).text, printed);
});

test('literals are accepted in every spelling the grammar allows and print canonically', () => {
  const text = `graph @g(%x: f32[N]) {
    %y = every_attr(%x) {req = -0, f = 3, fs = [1, -2e3, 1.5E-3, -inf, nan], ds = [1*N, 2*N, 0*N], maybe = 1.}
    %c = const dense<[1, 2.50, -0.0, 1e0]> : f16[2,2]
    %s = const dense<[1]> : f32[]
    return %y, %c, %s
  }`;
  const g = parseGraph(text, { lookupOp: lookupSampleOp });
  const printed = printGraph(g).text;
  assert.ok(printed.includes('{req = 0, f = 3.0, fs = [1.0, -2000.0, 0.0015, -inf, nan], ds = [N, 2*N, 0], maybe = 1.0}'), printed);
  assert.ok(printed.includes('%c = const dense<[1.0, 2.5, -0.0, 1.0]> : f16[2,2]'), printed);
  assert.ok(printed.includes('%s = const dense<1.0> : f32[]'), printed);
});

test('random f32 and f16 inline tensors come back bit for bit', () => {
  fc.assert(
    fc.property(
      fc.float32Array({ minLength: 1, maxLength: 16, noDefaultInfinity: false }),
      fc.array(fc.integer({ min: 0, max: 0xffff }).filter((h) => (h & 0x7c00) !== 0x7c00 || (h & 0x3ff) === 0), { minLength: 1, maxLength: 16 }),
      (f32, f16) => {
        const b = new GraphBuilder('random');
        // NaN prints as `nan`, which reads back as the canonical NaN: only canonical NaNs survive.
        b.output(b.constant(Tensor.f32([f32.length], Array.from(f32, (v) => (Number.isNaN(v) ? NaN : v))), 'a'));
        b.output(b.constant(new Tensor('f16', [f16.length], Uint16Array.from(f16)), 'h'));
        roundTrip(b.build());
      },
    ),
    { numRuns: 200 },
  );
});
