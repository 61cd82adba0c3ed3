import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { reportFailure } from '../../compiler/cli/report-error.js';
import { webGpuRunner } from '../../compiler/cli/webgpu-runners.js';
import { importOnnxFile } from '../../ir/onnx/index.js';
import { Tensor } from '../../ir/tensor.js';
import { WebGpuRuntimeError } from '../../runtime/webgpu/executor.js';
import { FIXTURES } from '../helpers/paths.js';

test('a lost device makes the next run fail with one clear line (exit 2), not a hang or a crash', async () => {
  const runner = await webGpuRunner(importOnnxFile(join(FIXTURES, 'mnist_vit.onnx')), { adapter: 'llvmpipe', batch: 1 });
  try {
    const x = new Map([['x', new Tensor('f32', [1, 1, 28, 28], new Float32Array(784).fill(0.25))]]);
    const first = await runner.run(x);
    assert.deepEqual(first.get('logits')!.shape, [1, 10]);
    runner.device.destroy();
    const lost = await runner.run(x).then(
      () => assert.fail('a run on a destroyed device succeeded'),
      (e: unknown) => e,
    );
    assert.ok(lost instanceof WebGpuRuntimeError, String(lost));
    assert.match(lost.message, /^WebGPU device lost: destroyed/);
    const report = await reportFailure(lost, false);
    assert.equal(report.exitCode, 2);
    assert.match(report.text, /^vitc: error: WebGPU device lost: destroyed[^\n]*\n$/);
  } finally {
    runner.close();
  }
});
