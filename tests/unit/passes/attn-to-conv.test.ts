import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { GraphBuilder } from '../../../ir/builder.js';
import { VitcError } from '../../../ir/errors.js';
import type { Graph } from '../../../ir/graph.js';
import { Add, Attention, Concat, Gather, MatMul, Reshape, Transpose } from '../../../ir/ops/index.js';
import { Tensor } from '../../../ir/tensor.js';
import { tensorType } from '../../../ir/types.js';
import { writeNpy } from '../../../runtime/npy.js';
import { runReference } from '../../../runtime/reference/interpreter.js';
import { applyPipeline, opNames } from './apply.js';
import { randomTensor, rng } from './numerics.js';

/*
 * A ViT attention layer whose heads are one-hot on chosen grid offsets: the tokens carry a
 * one-hot position (17 channels: CLS + a 4x4 grid) next to their content; keys are the position,
 * each head's queries are 100 × the position of its target token (zero when the target is off
 * the grid). Softmax of 100 vs 0 is one-hot to float precision, so on every query whose target
 * exists, attention equals the SPViT convolution exactly.
 */
const SIDE = 4;
const T = 1 + SIDE * SIDE;
const CONTENT = 4;
const C = T + CONTENT;
const D = T; // head width: wide enough for a one-hot position
const COUT = 6;

function oneHotModel(offsets: readonly (readonly [number, number])[], seed: number): Graph {
  const h = offsets.length;
  const next = rng(seed);
  const rand = (shape: number[]) => randomTensor('f32', shape, next);
  const b = new GraphBuilder('onehot_attention');
  const content = b.input('x', tensorType('f32', [1, T, CONTENT]));
  const pos = new Tensor('f32', [1, T, T]);
  for (let t = 0; t < T; t++) pos.data[t * T + t] = 1;
  const x = b.add1(Concat, [b.constant(pos), content], { axis: 2 });
  // qkv columns: [3, h, D] — q and k from the position channels, v random.
  const w = rand([C, 3 * h * D]);
  for (let c = 0; c < C; c++) for (let hh = 0; hh < h; hh++) for (let i = 0; i < D; i++) {
    w.data[c * 3 * h * D + (0 * h + hh) * D + i] = 0;
    w.data[c * 3 * h * D + (1 * h + hh) * D + i] = c === i ? 1 : 0;
  }
  offsets.forEach(([dy, dx], hh) => {
    for (let t = 0; t < T; t++) {
      const [y, xx] = t === 0 ? [-9, -9] : [Math.floor((t - 1) / SIDE), (t - 1) % SIDE];
      const target = t === 0 ? 0 : y + dy >= 0 && y + dy < SIDE && xx + dx >= 0 && xx + dx < SIDE ? 1 + (y + dy) * SIDE + xx + dx : -1;
      if (target >= 0) w.data[t * 3 * h * D + hh * D + target] = 100;
    }
  });
  const bias = rand([3 * h * D]);
  for (let i = 0; i < 2 * h * D; i++) bias.data[i] = 0;
  const qkv = b.add1(Add, [b.add1(MatMul, [x, b.constant(w)], {}), b.constant(bias)], {});
  const split = b.add1(Transpose, [b.add1(Reshape, [qkv], { shape: [1, T, 3, h, D] })], { perm: [2, 0, 3, 1, 4] });
  const [q, k, v] = [0, 1, 2].map((i) => b.add1(Gather, [split, b.constant(Tensor.scalar('i64', i))], { axis: 0 }));
  const o = b.add1(Attention, [q!, k!, v!], { scale: 1 });
  const merged = b.add1(Reshape, [b.add1(Transpose, [o], { perm: [0, 2, 1, 3] })], { shape: [1, T, h * D] });
  b.output(b.add1(Add, [b.constant(rand([COUT])), b.add1(MatMul, [merged, b.constant(rand([h * D, COUT]))], {})], {}), 'y');
  return b.build();
}

const tapOf = ([dy, dx]: readonly [number, number]) => 3 * (dy + 1) + dx + 1;

/** Max |a − b| / (1 + |b|) over the tokens `keep` selects. */
function maxError(a: Graph, b: Graph, keep: (token: number) => boolean, seed = 3): number {
  const inputs = new Map([['x', randomTensor('f32', [1, T, CONTENT], rng(seed))]]);
  const ya = runReference(a, inputs).get('y')!;
  const yb = runReference(b, inputs).get('y')!;
  let err = 0;
  for (let t = 0; t < T; t++) if (keep(t)) for (let o = 0; o < COUT; o++) err = Math.max(err, Math.abs(ya.get(t * COUT + o) - yb.get(t * COUT + o)) / (1 + Math.abs(yb.get(t * COUT + o))));
  return err;
}

test('kind=1x1: heads one-hot on their own token fold into a 1x1 conv exactly, CLS keeps its attention row', () => {
  const g = oneHotModel([[0, 0], [0, 0], [0, 0]], 1);
  const f = applyPipeline(g, 'attn-to-conv{layers=0 kind=1x1}');
  assert.deepEqual(opNames(f).filter((n) => n === 'conv' || n === 'attention'), ['conv', 'attention']);
  const conv = f.nodes.find((n) => n.op.name === 'conv')!;
  assert.deepEqual(conv.inputs[1]!.type.shape, [COUT, C, 1, 1]);
  const att = f.nodes.find((n) => n.op.name === 'attention')!;
  assert.equal(att.inputs[0]!.type.shape[2], 1, 'the remaining attention has only the CLS query');
  assert.ok(maxError(g, f, () => true) < 1e-5);
});

test('kind=3x3 with taps: heads one-hot on offsets fold into a 3x3 conv exactly wherever the offset is on the grid', () => {
  const offsets = [[0, 0], [0, 1], [-1, 0], [1, -1]] as const;
  const g = oneHotModel(offsets, 2);
  const taps = offsets.map(tapOf);
  const f = applyPipeline(g, `attn-to-conv{layers=0 kind=3x3 taps=${taps.join(',')}}`);
  const conv = f.nodes.find((n) => n.op.name === 'conv')!;
  assert.deepEqual(conv.inputs[1]!.type.shape, [COUT, C, 3, 3]);
  const valid = (t: number) => t === 0 || offsets.every(([dy, dx]) => {
    const y = Math.floor((t - 1) / SIDE) + dy;
    const x = ((t - 1) % SIDE) + dx;
    return y >= 0 && y < SIDE && x >= 0 && x < SIDE;
  });
  assert.ok([...Array(T).keys()].filter((t) => t > 0 && valid(t)).length >= 4);
  assert.ok(maxError(g, f, valid) < 1e-5, `error ${maxError(g, f, valid)}`);
  // The assignment matters: two heads swapped is a different (wrong) convolution.
  const swapped = applyPipeline(g, `attn-to-conv{layers=0 kind=3x3 taps=${[taps[1], taps[0], taps[2], taps[3]].join(',')}}`);
  assert.ok(maxError(g, swapped, valid) > 1e-2);
});

test('auto finds each head\'s offset on calibration data, folds the layer and prints its locality', () => {
  const offsets = [[0, 0], [1, 1], [0, -1]] as const;
  const g = oneHotModel(offsets, 4);
  const remarks: string[] = [];
  // Calibration: a .npy of random contents (the default MNIST digits do not fit this model).
  const f = applyWithCalib(g, remarks);
  assert.equal(remarks.length, 1, remarks.join('\n'));
  assert.match(remarks[0]!, /attention layer 0: locality 0\.\d+ \[h0 \S+@\(0,0\) h1 \S+@\(1,1\) h2 \S+@\(0,-1\)\] → conv3x3/);
  const conv = f.nodes.find((n) => n.op.name === 'conv')!;
  assert.deepEqual(conv.inputs[1]!.type.shape, [COUT, C, 3, 3]);
  const explicit = applyPipeline(g, `attn-to-conv{layers=0 taps=${offsets.map(tapOf).join(',')}}`);
  assert.equal(maxError(f, explicit, () => true), 0);
  const high: string[] = [];
  assert.equal(applyWithCalib(g, high, 0.99), g, 'a threshold above every head\'s locality folds nothing');
  assert.match(high[0]!, /→ kept/);
});

function applyWithCalib(g: Graph, remarks: string[], threshold = 0.5): Graph {
  const dir = mkdtempSync(join(tmpdir(), 'vitc-calib-'));
  try {
    const file = join(dir, 'calib.npy');
    writeFileSync(file, writeNpy(randomTensor('f32', [4, T, CONTENT], rng(5))));
    return applyPipeline(g, `attn-to-conv{auto threshold=${threshold} calib=${file}}`, remarks);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('attn-to-conv errors name the layer and say why it cannot be folded', () => {
  const g = oneHotModel([[0, 0]], 6);
  const err = (pipeline: string, re: RegExp) => assert.throws(() => applyPipeline(g, pipeline), (e: unknown) => e instanceof VitcError && re.test(e.message));
  err('attn-to-conv{layers=1}', /layer 1 does not exist: the graph has 1 attention layer/);
  err('attn-to-conv{layers=0 taps=4,4}', /has 1 heads, taps gives 2/);
  err('attn-to-conv{layers=0 kind=1x1 taps=5}', /kind=1x1 puts every head on tap 4/);
  err('attn-to-conv', /name the layers to fold/);
  err('attn-to-conv{auto}', /bundled MNIST digits do not fit input 'x'/);
  // An attention whose values are a graph input, not a linear layer of the tokens.
  const b = new GraphBuilder('bare');
  const [q, k, v] = ['q', 'k', 'v'].map((n) => b.input(n, tensorType('f32', [1, 2, T, 4])));
  b.output(b.add1(Attention, [q!, k!, v!], { scale: 1 }), 'y');
  assert.throws(() => applyPipeline(b.build(), 'attn-to-conv{layers=0}'), (e: unknown) => e instanceof VitcError && /attention layer 0 cannot become a convolution: the values are not a linear layer/.test(e.message));
});
