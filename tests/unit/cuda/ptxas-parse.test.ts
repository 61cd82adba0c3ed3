import assert from 'node:assert/strict';
import { test } from 'node:test';
import { errorLines, parsePtxasInfo } from './toolchain.js';

// The spill check of nvcc.test.ts rests on this parser: it must see spills when ptxas reports them.
test('ptxas -v output: per-kernel, per-arch registers and spills', () => {
  const text = `ptxas info    : 0 bytes gmem
ptxas info    : Compiling entry function 'matmul_ab' for 'sm_80'
ptxas info    : Function properties for matmul_ab
    16 bytes stack frame, 12 bytes spill stores, 8 bytes spill loads
ptxas info    : Used 255 registers, used 1 barriers, 640 bytes smem, 400 bytes cmem[0]
ptxas info    : Compiling entry function 'row_cd' for 'sm_90'
ptxas info    : Function properties for row_cd
    0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
ptxas info    : Used 22 registers, used 1 barriers, 256 bytes smem
`;
  assert.deepEqual(parsePtxasInfo(text), [
    { kernel: 'matmul_ab', arch: 'sm_80', registers: 255, spillStores: 12, spillLoads: 8, stackFrame: 16 },
    { kernel: 'row_cd', arch: 'sm_90', registers: 22, spillStores: 0, spillLoads: 0, stackFrame: 0 },
  ]);
});

test('error lines are picked out of compiler output', () => {
  const text = 'kernels.cu(12): error: identifier "x" is undefined\nptxas info    : Used 3 registers\n1 error detected in the compilation of "kernels.cu".\nptxas fatal   : Unresolved extern function';
  assert.deepEqual(errorLines(text), ['kernels.cu(12): error: identifier "x" is undefined', '1 error detected in the compilation of "kernels.cu".', 'ptxas fatal   : Unresolved extern function']);
});
