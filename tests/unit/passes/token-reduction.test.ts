import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runPipeline } from '../../../compiler/pass-manager.js';
import { parsePipeline } from '../../../compiler/pipeline.js';
import { VitcError } from '../../../ir/errors.js';
import type { Graph } from '../../../ir/graph.js';
import { importOnnxFile } from '../../../ir/onnx/index.js';
import { Tensor } from '../../../ir/tensor.js';
import { runReference } from '../../../runtime/reference/interpreter.js';
import { FIXTURES } from '../../helpers/paths.js';
import { forward, randomPatches, type Reduction, splitTau, tinyVit, type TinyVitSpec } from '../../helpers/tiny-vit.js';
import { applyPipeline } from './apply.js';
import { randomInputs } from './numerics.js';

const SPEC: TinyVitSpec = { patches: 12, dim: 16, heads: 2, blocks: 3, classes: 5, batch: 'N', seed: 7 };

function logitsOf(g: Graph, input: Tensor): Float32Array {
  return runReference(g, new Map([[g.inputs[0]!.name!, input]])).get('logits')!.data as Float32Array;
}

/** The pass on the IR model against the straightforward forward pass, image by image. */
function assertMatchesForward(spec: TinyVitSpec, pipeline: string, reduction: Reduction, batch = 3, seed = 11): void {
  const model = tinyVit(spec);
  const g = applyPipeline(model.graph, `fuse-attention,${pipeline}`);
  const { input, images } = randomPatches(spec, batch, seed);
  const got = logitsOf(g, input);
  images.forEach((img, i) => {
    const want = forward(model, img, reduction);
    want.forEach((w, k) => {
      const a = got[i * spec.classes + k]!;
      assert.ok(Math.abs(a - w) <= 2e-4 * (1 + Math.abs(w)), `${pipeline}: image ${i} logit ${k}: ${a} vs ${w}`);
    });
  });
}

const seen = (g: Graph, op: string) => g.nodes.filter((n) => n.op.name === op).length;

test('tome matches a straightforward ToMe forward pass (sizes, proportional attention), per image', () => {
  assertMatchesForward(SPEC, 'tome{r=2}', { tome: [2, 2, 2] });
  assertMatchesForward({ ...SPEC, batch: 2, seed: 8 }, 'tome{r=3,0,2}', { tome: [3, 0, 2] }, 2);
  assertMatchesForward({ ...SPEC, patches: 13, seed: 9 }, 'tome{r=1,4 blocks=1,2}', { tome: [0, 1, 4] });
  // r at its largest: every even patch merges, only the class token stays in set A.
  assertMatchesForward({ ...SPEC, blocks: 1, seed: 10 }, 'tome{r=6}', { tome: [6] });
});

test('ppt matches a straightforward PPT forward pass, choosing pool or prune per image', () => {
  const spec: TinyVitSpec = { ...SPEC, patches: 16, blocks: 3, seed: 12 };
  const model = tinyVit(spec);
  const { images } = randomPatches(spec, 4, 13);
  // Thresholds that make every image prune, every image pool, and the images split at block 0.
  const split = splitTau(model, images, 0, 3);
  for (const tau of [0, 1, split]) {
    const choices: boolean[] = [];
    const reduction: Reduction = { ppt: { layers: [0, 2], r: 3, tau }, onPptChoice: (_b, _v, pooled) => choices.push(pooled) };
    assertMatchesForward(spec, `ppt{layers=0,2 r=3 tau=${tau}}`, reduction, 4, 13);
    if (tau === split) assert.ok(choices.includes(true) && choices.includes(false), 'the split threshold pools some images and prunes others');
  }
});

test('ppt caps r at (N-1)/2 and skips layers with nothing to remove', () => {
  const model = tinyVit({ ...SPEC, blocks: 4 });
  const remarks: string[] = [];
  const g = applyPipeline(model.graph, 'fuse-attention,ppt{layers=1,3 r=50}', remarks);
  assert.match(remarks.join(''), /tokens after each reducing block: 1:7 3:4/);
  assert.equal(seen(g, 'attention'), 4);
});

test('r=0 is bit-exact with no pass', async () => {
  for (const file of ['mnist_vit.onnx', 'vit_op17_b2.onnx']) {
    const base = applyPipeline(await importOnnxFile(`${FIXTURES}/${file}`), 'fold-constants,canonicalize,fuse-attention');
    for (const p of ['tome{r=0}', 'ppt{layers=0,1 r=0}', 'tome{r=0,0 blocks=0,1}']) {
      const g = applyPipeline(base, `fuse-attention,${p}`);
      assert.equal(g, base, `${file} ${p}: the graph is returned unchanged`);
      const inputs = randomInputs(base, 5, 2);
      const a = runReference(base, inputs).get('logits')!.data;
      const b = runReference(g, inputs).get('logits')!.data;
      assert.deepEqual(b, a);
    }
  }
});

test('torchvision layouts ([T, B·H, d] attention, static and dynamic batch): images do not mix', async () => {
  // vit_op17_b2 and the dynamic export share the b1 model's weights: a batched run must give
  // each image what the batch-1 model gives it alone.
  const prep = async (f: string) => applyPipeline(await importOnnxFile(`${FIXTURES}/${f}`), 'fold-constants,canonicalize,fuse-attention');
  const [b1, b2, dyn, op13] = await Promise.all(['vit_op17_b1.onnx', 'vit_op17_b2.onnx', 'vit_op17_dyn.onnx', 'vit_op13_dyn.onnx'].map(prep));
  for (const p of ['tome{r=4}', 'ppt{layers=0 r=4 tau=0}', 'ppt{layers=0 r=4 tau=1}', 'ppt{layers=0,1 r=5 tau=1e-3}']) {
    const single = applyPipeline(b1!, `fuse-attention,${p}`);
    for (const [batched, n] of [[b2!, 2], [dyn!, 3], [op13!, 3]] as const) {
      const g = applyPipeline(batched, `fuse-attention,${p}`);
      assert.equal(seen(g, 'attention'), 2);
      const x = randomInputs(g, 21, n).get('x')!;
      const all = logitsOf(g, x);
      const per = 3 * 32 * 32;
      for (let i = 0; i < n; i++) {
        const one = logitsOf(single, new Tensor('f32', [1, 3, 32, 32], (x.data as Float32Array).slice(i * per, (i + 1) * per)));
        one.forEach((w, k) => assert.ok(Math.abs(all[i * 10 + k]! - w) <= 1e-4, `${p}, batch ${n}, image ${i}, logit ${k}: ${all[i * 10 + k]} vs ${w}`));
      }
    }
  }
});

test('token reduction keeps shapes static and the tokens per block as scheduled', async () => {
  const g = applyPipeline(await importOnnxFile(`${FIXTURES}/mnist_vit.onnx`), 'fold-constants,canonicalize,infer-shapes{batch=2},fuse-attention,tome{r=3}');
  const tokens = g.nodes.filter((n) => n.op.name === 'attention').map((n) => n.inputs[1]!.type.shape[2]);
  assert.deepEqual(tokens, [17, 14, 11, 8]);
  const final = g.nodes.find((n) => n.op.name === 'layer_norm' && n.outputs[0]!.type.shape[1] === 5);
  assert.ok(final, 'the final norm sees 17 - 4·3 = 5 tokens');
  assert.ok(g.nodes.every((n) => n.outputs.every((o) => o.type.shape.every((d) => typeof d === 'number'))));
});

function rejects(g: Graph, pipeline: string, message: RegExp): void {
  assert.throws(
    () => runPipeline(g, parsePipeline(pipeline)),
    (e: unknown) => e instanceof VitcError && message.test(e.message),
    `${pipeline} should fail with ${message}`,
  );
}

test('clear errors: no class token, r too large, schedules that do not fit, missing attention fusion', () => {
  const noCls = tinyVit({ ...SPEC, cls: false }).graph;
  rejects(noCls, 'fuse-attention,tome{r=2}', /in pass 'tome\{r=2\}': token reduction needs a class token in front of the patches, but the tokens entering block 0 come from a graph input/);
  rejects(noCls, 'fuse-attention,ppt{layers=1 r=2}', /needs a class token/);
  const g = tinyVit(SPEC).graph;
  rejects(g, 'fuse-attention,tome{r=7}', /r=7 is too large for block 0, which has 13 tokens: at most 6 can merge/);
  rejects(g, 'fuse-attention,tome{r=2,2,5}', /r=5 is too large for block 2, which has 9 tokens: at most 4 can merge/);
  rejects(g, 'fuse-attention,tome{r=1,2}', /r has 2 values; give one for every block or one per block \(3\)/);
  rejects(g, 'fuse-attention,tome{r=1 blocks=5}', /block 5 does not exist; the model has 3 blocks/);
  rejects(g, 'fuse-attention,ppt{layers=3}', /layer 3 does not exist; the model has 3 blocks \(0-2\)/);
  rejects(g, 'tome{r=1}', /requires 'attention-fused'.*'fuse-attention'/);
  rejects(g, 'fuse-attention,ppt{layers=0 r=2},tome{r=1}', /in pass 'tome\{r=1\}': the graph already reduces tokens \('top_k' found\): apply one token-reduction pass per pipeline/);
});

test('a uniform r is capped per block the way ToMe does, with a remark', () => {
  const remarks: string[] = [];
  const g = applyPipeline(tinyVit({ ...SPEC, blocks: 4 }).graph, 'fuse-attention,tome{r=5}', remarks);
  // 13 tokens: 5 merge (8 left), then at most 3 of 8, 2 of 5, 1 of 3.
  assert.match(remarks.join(''), /r capped where fewer tokens remain \(block 1: 5 → 3, block 2: 5 → 2, block 3: 5 → 1\)/);
  assert.match(remarks.join(''), /0:8 1:5 2:3 3:2/);
  assert.equal(seen(g, 'attention'), 4);
});
