import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { compileCuda, type CudaCompileResult, writeCudaArtifact } from '../../../compiler/compile-cuda.js';
import { importOnnxFile } from '../../../ir/onnx/import.js';
import { FIXTURES } from '../../helpers/paths.js';
import { buildEmulated } from './emulate.js';
import { runCommand } from './toolchain.js';

/**
 * The generated launcher's C API and its failure paths, run against the CPU emulation of CUDA
 * (which can make the n-th cudaMalloc or kernel launch fail): every failure returns its status,
 * says what failed, and leaves no device memory behind.
 */
const DRIVER = `#include <stdio.h>
#include <string.h>
#include "vitc_model.h"

static float x[VITC_INPUT0_ELEMENTS];
static float logits[VITC_OUTPUT0_ELEMENTS];

static void report(int status) { printf("%d|%s|%ld\\n", status, vitc_last_error(), vitc_emu_live_allocations()); }

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  const char* mode = argv[1];
  vitc_model* model = NULL;
  if (!strcmp(mode, "create")) {
    report(vitc_model_create(argv[2], &model));
    printf("%s\\n", model ? "model" : "null");
    if (model) report(vitc_model_destroy(model));
  } else if (!strcmp(mode, "null")) {
    report(vitc_model_create(NULL, &model));
    report(vitc_model_create(argv[2], NULL));
  } else if (!strcmp(mode, "run")) {
    report(vitc_model_create(argv[2], &model));
    report(vitc_model_run(model, x, NULL));
    report(vitc_model_run(model, x, logits));
    report(vitc_model_destroy(model));
  }
  return 0;
}
`;

let dir = '';
let exe = '';
let compiled: CudaCompileResult;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vitc-cuda-api-'));
  compiled = compileCuda(importOnnxFile(join(FIXTURES, 'vit_op17_b1.onnx')), { batch: 1 });
  writeCudaArtifact(dir, compiled);
  writeFileSync(join(dir, 'driver.cpp'), DRIVER);
  writeFileSync(join(dir, 'short.bin'), new Uint8Array(100));
  exe = await buildEmulated(dir, ['kernels.cu', 'launcher.cu', 'driver.cpp'], 'driver');
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function drive(mode: string, path: string, env: Record<string, string> = {}): Promise<string[]> {
  const r = await runCommand(exe, [mode, path], { env: { ...process.env, ...env } });
  assert.equal(r.code, 0, r.output);
  return r.output.trim().split('\n');
}

test('create: a missing or short weights file is an I/O error naming the file', async () => {
  const missing = join(dir, 'missing.bin');
  assert.deepEqual(await drive('create', missing), [`2|${missing}: cannot open the weights file|0`, 'null']);
  const short = join(dir, 'short.bin');
  assert.deepEqual(await drive('create', short), [`2|${short}: expected exactly ${compiled.memory.weightsBytes} bytes of weights|0`, 'null']);
});

test('create: a failed device allocation is a CUDA error naming the call, with nothing left allocated', async () => {
  const lines = await drive('create', join(dir, 'weights.bin'), { VITC_EMU_FAIL_MALLOC: '2' });
  assert.deepEqual(lines, ['3|cudaMalloc(arena): out of memory (cudaErrorMemoryAllocation)|0', 'null']);
});

test('null arguments are refused', async () => {
  assert.deepEqual(await drive('null', join(dir, 'weights.bin')), ['1|vitc_model_create: weights_path is NULL|0', '1|vitc_model_create: model is NULL|0']);
});

test('run: null outputs are refused, a run succeeds, destroy frees everything', async () => {
  // The last error is the last failure's (like errno): successes leave it alone.
  const refused = "vitc_model_run: output 'logits' is NULL";
  assert.deepEqual(await drive('run', join(dir, 'weights.bin')), ['0||3', `1|${refused}|3`, `0|${refused}|3`, `0|${refused}|0`]);
});

test('run: a failed launch names the launch, its task and kernel', async () => {
  const lines = await drive('run', join(dir, 'weights.bin'), { VITC_EMU_FAIL_LAUNCH: '3' });
  const l = compiled.launches[2]!;
  assert.equal(lines[2], `3|launch 3 of ${compiled.launches.length} (${l.label}, kernel ${l.kernel}): unspecified launch failure (cudaErrorLaunchFailure)|3`);
  assert.match(lines[3]!, /^0\|.*\|0$/);
});
