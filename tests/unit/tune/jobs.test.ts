import assert from 'node:assert/strict';
import { test } from 'node:test';
import { workloadKey } from '../../../codegen/emit-webgpu.js';
import { jobFor, storageBuffersOf, tuneJobs } from '../../../codegen/tune/job.js';
import { importOnnxFile } from '../../../ir/onnx/index.js';
import { compileWebGpu } from '../../../compiler/compile-webgpu.js';
import { FIXTURES } from '../../helpers/paths.js';
import { join } from 'node:path';
import { matmulWorkload } from './workloads.js';

test('a ViT is tuned once per unique workload: identical encoder blocks share their jobs', () => {
  const compiled = compileWebGpu(importOnnxFile(join(FIXTURES, 'vit_op17_b1.onnx')));
  const tasks = compiled.kernelPlan.tasks;
  const jobs = tuneJobs(compiled.kernelPlan);
  // Every task is in exactly one job, and the job's key is the task's workload key.
  const byTask = new Map(tasks.map((t) => [t.name, workloadKey(t.workload)]));
  assert.deepEqual(jobs.flatMap((j) => j.tasks).sort(), tasks.map((t) => t.name).sort());
  for (const j of jobs) for (const t of j.tasks) assert.equal(byTask.get(t), j.key, t);
  assert.equal(new Set(jobs.map((j) => j.key)).size, jobs.length, 'one job per key');
  // The fixture has two identical encoder blocks: their kernels pair up, so there are fewer jobs than tasks.
  assert.ok(jobs.length < tasks.length, `${jobs.length} jobs for ${tasks.length} tasks`);
  assert.ok(jobs.some((j) => j.tasks.length >= 2));
  // Tasks of one job compile to one WGSL program (same workload, same schedule, same bindings).
  const programOf = new Map(compiled.kernels.map((k) => [k.task, k.program]));
  for (const j of jobs) assert.equal(new Set(j.tasks.map((t) => programOf.get(t))).size, 1, `job ${j.key}`);
  // Jobs are plain data (for workers elsewhere).
  assert.deepEqual(JSON.parse(JSON.stringify(jobs)), jobs);
});

test('workload keys follow the canonical workload: equal shapes match, any difference does not', () => {
  const a = matmulWorkload(17, 32, 64);
  assert.equal(workloadKey(a), workloadKey(matmulWorkload(17, 32, 64)));
  // Field order in the object does not matter (canonical JSON).
  const reordered = Object.fromEntries(Object.entries(a).reverse()) as typeof a;
  assert.equal(workloadKey(reordered), workloadKey(a));
  for (const other of [matmulWorkload(17, 64, 32), matmulWorkload(17, 32, 64, { residual: true }), matmulWorkload(17, 32, 64, { prologue: 'folded' }), { ...a, epilogue: { op: 'acc' as const } }]) {
    assert.notEqual(workloadKey(other), workloadKey(a));
  }
  assert.equal(jobFor(a).key, workloadKey(a));
  assert.equal(storageBuffersOf(jobFor(a)), a.operands.length + 1);
});
