import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { targetLimitsOf } from '../../codegen/schedule/limits.js';
import { compileWebGpu } from '../../compiler/compile-webgpu.js';
import { runPipeline } from '../../compiler/pass-manager.js';
import { parsePipeline } from '../../compiler/pipeline.js';
import type { Graph } from '../../ir/graph.js';
import { importOnnxFile } from '../../ir/onnx/index.js';
import type { Tensor } from '../../ir/tensor.js';
import { runReference } from '../../runtime/reference/interpreter.js';
import { acquireDevice, type AcquiredDevice } from '../../runtime/webgpu/adapters.js';
import { createExecutor } from '../../runtime/webgpu/executor.js';
import { FIXTURES } from '../helpers/paths.js';
import { randomPatches, splitTau, tinyVit, type TinyVitSpec } from '../helpers/tiny-vit.js';
import { randomInputs } from '../unit/passes/numerics.js';

/*
 * Compiled WebGPU kernels against the reference interpreter, both running the graph the
 * token-reduction pass produced: merges, prunes, per-image branch choices and proportional
 * attention all go through the generated kernels.
 */

async function compareOnGpu(gpu: AcquiredDevice, g: Graph, input: Tensor, what: string): Promise<void> {
  const compiled = compileWebGpu(g, { batch: input.shape[0]!, limits: targetLimitsOf(gpu.device.limits) });
  const ex = await createExecutor(gpu.device, compiled.plan, compiled.sources, compiled.weights);
  try {
    const got = (await ex.run({ [g.inputs[0]!.name!]: input.data as Float32Array })).logits!;
    const want = runReference(g, new Map([[g.inputs[0]!.name!, input]])).get('logits')!;
    assert.equal(got.length, want.size, `${what}: logits count`);
    for (let i = 0; i < want.size; i++) assert.ok(Math.abs(got[i]! - want.get(i)) <= 1e-4 * (1 + Math.abs(want.get(i))), `${what}: logit ${i}: ${got[i]} vs ${want.get(i)}`);
  } finally {
    ex.destroy();
  }
}

const clean = (g: Graph, p: string) => runPipeline(g, parsePipeline(`fold-constants,canonicalize,fuse-attention,${p}`)).graph;

for (const adapter of ['llvmpipe', 'swiftshader'] as const)
  describe(`token reduction compiled for ${adapter}`, () => {
    let gpu: AcquiredDevice;
    before(async () => {
      gpu = await acquireDevice({ adapter });
    });
    after(() => gpu?.release());

    test('ppt on a small ViT whose batch both prunes and pools', async () => {
      const spec: TinyVitSpec = { patches: 16, dim: 16, heads: 2, blocks: 3, classes: 5, batch: 'N', seed: 12 };
      const model = tinyVit(spec);
      const { input, images } = randomPatches(spec, 4, 13);
      const tau = splitTau(model, images, 0, 3);
      await compareOnGpu(gpu, clean(model.graph, `ppt{layers=0,2 r=3 tau=${tau}}`), input, 'ppt');
    });

    test('mnist_vit with ToMe, and a torchvision export (batch inside the head axis) with PPT', async () => {
      const mnist = clean(await importOnnxFile(`${FIXTURES}/mnist_vit.onnx`), 'tome{r=3}');
      await compareOnGpu(gpu, mnist, randomInputs(mnist, 3, 2).get('x')!, 'mnist_vit tome{r=3}');
      const vit = clean(await importOnnxFile(`${FIXTURES}/vit_op17_b2.onnx`), 'ppt{layers=0,1 r=4 tau=1e-3}');
      await compareOnGpu(gpu, vit, randomInputs(vit, 4).get('x')!, 'vit_op17_b2 ppt');
    });
  });
