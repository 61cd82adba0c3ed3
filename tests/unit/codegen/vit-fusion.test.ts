import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileWebGpu } from '../../../compiler/compile-webgpu.js';
import { importOnnxFile, readOnnxFile } from '../../../ir/onnx/index.js';
import { FIXTURES } from '../../helpers/paths.js';
import { join } from 'node:path';

/** Kernels per encoder block of a torchvision ViT export, from the ONNX node names they implement. */
function kernelsPerBlock(file: string, batch: number): Map<number, string[]> {
  const compiled = compileWebGpu(importOnnxFile(join(FIXTURES, file)), { batch });
  const blocks = new Map<number, string[]>();
  let inBlocks = false;
  for (const t of compiled.kernelPlan.tasks) {
    const layers = new Set(t.nodes.map((n) => /encoder_layer_(\d+)\//.exec(n.name ?? '')?.[1]).filter((x) => x !== undefined).map(Number));
    for (const l of layers) blocks.set(l, [...(blocks.get(l) ?? []), t.workload.kind]);
    inBlocks ||= layers.size > 0;
    // A copy kernel implements no node: once the blocks start, layout work must be views.
    assert.ok(!(inBlocks && t.nodes.length === 0), `standalone copy kernel ${t.name} after the first encoder block`);
  }
  return blocks;
}

for (const [file, batch] of [
  ['vit_op17_b1.onnx', 1],
  ['vit_op13_b2.onnx', 2],
  ['vit_op17_dyn.onnx', 3],
] as const)
  test(`a torchvision ViT encoder block (${file}, batch ${batch}) is five kernels: LN+QKV, attention, projection+residual, LN+FC1+GELU, FC2+residual`, () => {
    const blocks = kernelsPerBlock(file, batch);
    assert.equal(blocks.size, 2);
    for (const kinds of blocks.values()) assert.deepEqual(kinds, ['matmul', 'attention', 'matmul', 'matmul', 'matmul']);
  });

test('the weights image holds only weights a kernel reads: no layer norm γ/β or GEMM weight left behind after folding', () => {
  const file = join(FIXTURES, 'vit_op17_b1.onnx');
  const compiled = compileWebGpu(importOnnxFile(file), { batch: 1 });
  const read = new Set(compiled.kernelPlan.tasks.flatMap((t) => [...t.operands, t.output]));
  const weights = compiled.kernelPlan.buffers.filter((b) => b.kind === 'weight');
  for (const w of weights) assert.ok(read.has(w), `weight buffer ${w.id} (${w.name ?? 'derived'}) is read by no kernel`);
  // Folding γ into W and β into the bias keeps the number of values; only the LN-prologue GEMMs'
  // column sums are extra (one row per GEMM). Before the fix the image was 45% larger.
  let params = 0;
  for (const t of readOnnxFile(file).graph.initializer ?? []) if (t.dataType === 1) params += (t.dims ?? []).reduce((a: number, d) => a * Number(d), 1);
  const values = weights.reduce((s, b) => s + b.elements, 0);
  assert.ok(values <= params * 1.02, `weights image holds ${values} values, the model ${params} float parameters`);
});
