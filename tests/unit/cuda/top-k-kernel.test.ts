import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { finalizeKernel } from '../../../codegen/kernel-ir/rewrite.js';
import type { Kernel } from '../../../codegen/kernel-ir/types.js';
import { lowerTopK } from '../../../codegen/lower/top-k.js';
import { packedViews } from '../../../codegen/plan/seeds.js';
import { contiguousView } from '../../../codegen/plan/view.js';
import { cudaSignature, renderCudaKernels } from '../../../codegen/render/cuda.js';
import { TopK } from '../../../ir/ops/index.js';
import { Tensor } from '../../../ir/tensor.js';
import { runOp } from '../../helpers/op-testing.js';
import { Rng } from '../../helpers/prng.js';
import { buildEmulated } from './emulate.js';
import { runCommand } from './toolchain.js';

/*
 * The top_k rank-sort kernel rendered to CUDA and run on the CPU emulation (blocks as fibers,
 * so the staging barrier and shared memory are real) at the sizes the model tests do not reach:
 * rows of 300 and 1,024 tokens, staged in shared memory or read from global memory.
 */

/** Renders `kernels` (one f32 input buffer, one f32 output each) and runs each on its input. */
async function runEmulated(kernels: readonly Kernel[], inputs: readonly Float32Array[]): Promise<Float32Array[]> {
  const dir = mkdtempSync(join(tmpdir(), 'vitc-cuda-topk-'));
  try {
    const ks = kernels.map((k, i) => ({ ...finalizeKernel(k), name: `topk${i}` }));
    writeFileSync(join(dir, 'kernels.cu'), renderCudaKernels(ks, { file: 'kernels.cu', model: 'top_k test' }));
    const launches = ks.map((k, i) => {
      assert.equal(k.buffers.length, 2, 'one input and one output buffer');
      return `  {
    static float in[${k.buffers[0]!.length}], out[${k.buffers[1]!.length}];
    FILE* f = fopen("in${i}.bin", "rb"); if (!f || fread(in, 4, ${inputs[i]!.length}, f) != ${inputs[i]!.length}) return 2; fclose(f);
    const float* a = in; float* b = out; void* args[] = {&a, &b};
    if (cudaLaunchKernel(${k.name}, dim3(${k.grid.join(', ')}), dim3(${k.workgroupSize.join(', ')}), args, 0, 0) != cudaSuccess) return 1;
    f = fopen("out${i}.bin", "wb"); fwrite(out, 4, ${k.buffers[1]!.length}, f); fclose(f);
  }`;
    });
    writeFileSync(join(dir, 'driver.cpp'), `#include <cuda_runtime.h>\n#include <stdio.h>\n${ks.map((k) => `${cudaSignature(k)};`).join('\n')}\nint main() {\n${launches.join('\n')}\n  return 0;\n}\n`);
    inputs.forEach((x, i) => writeFileSync(join(dir, `in${i}.bin`), new Uint8Array(x.buffer, x.byteOffset, x.byteLength)));
    const exe = await buildEmulated(dir, ['kernels.cu', 'driver.cpp'], 'driver');
    const r = await runCommand(exe, [], { cwd: dir });
    assert.equal(r.code, 0, r.output);
    return ks.map((_, i) => {
      const bytes = readFileSync(join(dir, `out${i}.bin`));
      return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('top_k in CUDA: rows of 300 and 1,024 entries with ties, staged or not, largest or smallest', async () => {
  const rng = new Rng(93);
  const cases: [number, number, number, boolean, number, boolean][] = [
    [2, 300, 150, false, 64, true],
    [2, 1024, 50, true, 128, true],
    [1, 1024, 1024, true, 64, false],
  ];
  const xs = cases.map(([rows, n]) => Float32Array.from({ length: rows * n }, () => rng.int(0, 40) * 0.25));
  const kernels = cases.map(([rows, n, k, largest, wg, staged]) => {
    const [values, indices] = packedViews([[rows, k], [rows, k]]);
    return lowerTopK(
      { kind: 'top_k', rows: [rows], n, k, largest, operands: [{ view: contiguousView([rows, n]), dtype: 'f32' }], output: { view: values! }, indices: { view: indices! } },
      { kind: 'top_k', wg, staged },
      'topk',
    );
  });
  const outs = await runEmulated(kernels, xs);
  cases.forEach(([rows, n, k, largest, , staged], i) => {
    const [wantV, wantI] = runOp(TopK, [Tensor.f32([rows, n], xs[i]!)], { k, largest });
    const what = `top_k rows=${rows} n=${n} k=${k} largest=${largest} staged=${staged}`;
    assert.deepEqual(Array.from(outs[i]!.subarray(0, rows * k)), wantV!.toNumbers(), `${what}: values`);
    assert.deepEqual(Array.from(outs[i]!.subarray(rows * k, 2 * rows * k)), wantI!.toNumbers(), `${what}: indices`);
  });
});
