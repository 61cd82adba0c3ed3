import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileWebGpu } from '../../../compiler/compile-webgpu.js';
import { importOnnxFile } from '../../../ir/onnx/index.js';
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
