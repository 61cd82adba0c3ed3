import type { MatmulSchedule } from '../../../codegen/schedule/types.js';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { kernelLimitProblem } from '../../../codegen/emit-webgpu.js';
import { finalizeKernel } from '../../../codegen/kernel-ir/rewrite.js';
import { sharedBytes } from '../../../codegen/kernel-ir/types.js';
import { lowerWorkload } from '../../../codegen/lower/index.js';
import { defaultSchedule } from '../../../codegen/schedule/defaults.js';
import { type TargetLimits, WEBGPU_DEFAULT_LIMITS } from '../../../codegen/schedule/limits.js';
import { SeededRandom } from '../../../codegen/tune/random.js';
import { canonicalSchedule, crossover, inSpace, launchShape, mutate, scheduleKey, scheduleSpace } from '../../../codegen/tune/space.js';
import type { Workload } from '../../../codegen/workload/types.js';
import { attentionWorkload, elementwiseWorkload, gatherWorkload, matmulWorkload, reduceWorkload, rowWorkload, topKWorkload } from './workloads.js';

/** Limits from tiny to generous, per field independently (a real device may be lopsided). */
const limitsArb: fc.Arbitrary<TargetLimits> = fc.record({
  maxComputeInvocationsPerWorkgroup: fc.integer({ min: 1, max: 1024 }),
  maxComputeWorkgroupSizeX: fc.integer({ min: 1, max: 1024 }),
  maxComputeWorkgroupSizeY: fc.integer({ min: 1, max: 1024 }),
  maxComputeWorkgroupSizeZ: fc.integer({ min: 1, max: 64 }),
  maxComputeWorkgroupStorageSize: fc.integer({ min: 0, max: 32768 }),
  maxComputeWorkgroupsPerDimension: fc.oneof(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 65535 })),
  maxStorageBuffersPerShaderStage: fc.integer({ min: 1, max: 10 }),
  maxStorageBufferBindingSize: fc.constant(WEBGPU_DEFAULT_LIMITS.maxStorageBufferBindingSize),
  maxBufferSize: fc.constant(WEBGPU_DEFAULT_LIMITS.maxBufferSize),
  minStorageBufferOffsetAlignment: fc.constant(256),
});

const dim = (max: number) => fc.integer({ min: 1, max });

/** Workloads of every class with random sizes (shapes only matter for the space, not values). */
const workloadArb: fc.Arbitrary<Workload> = fc.oneof(
  fc.record({ m: dim(300), n: dim(300), k: dim(200), batch: fc.integer({ min: 0, max: 3 }), prologue: fc.constantFrom(undefined, 'gamma', 'folded') }).map(({ m, n, k, batch, prologue }) =>
    matmulWorkload(m, n, k, { ...(batch ? { batch } : {}), ...(prologue ? { prologue: prologue as 'gamma' | 'folded' } : {}) }),
  ),
  fc.record({ a: dim(400), b: dim(400) }).map(({ a, b }) => elementwiseWorkload(a, b)),
  fc.record({ op: fc.constantFrom('layernorm' as const, 'softmax' as const), rows: dim(500), cols: dim(800) }).map(({ op, rows, cols }) => rowWorkload(op, rows, cols)),
  fc.record({ c: dim(40), h: dim(20), w: dim(20) }).map(({ c, h, w }) => reduceWorkload(c, h, w)),
  fc.record({ heads: dim(8), t: dim(200), d: fc.constantFrom(4, 8, 6, 16), bias: fc.boolean() }).map(({ heads, t, d, bias }) => attentionWorkload(heads, t, d, bias)),
  fc.record({ rows: dim(8), n: dim(1024), k: dim(64) }).map(({ rows, n, k }) => topKWorkload(rows, n, Math.min(n, k))),
  fc.record({ kept: dim(200), extra: dim(100), d: dim(64) }).map(({ kept, extra, d }) => gatherWorkload(kept, kept + extra, d)),
);

test('the space never proposes a schedule that violates the limits (checked by lowering and the emission check)', () => {
  fc.assert(
    fc.property(workloadArb, limitsArb, fc.integer({ min: 1, max: 2 ** 30 }), (w, limits, seed) => {
      const space = scheduleSpace(w, limits);
      const rng = new SeededRandom(seed);
      // What a search can propose: points of the space, their mutations and crossovers.
      const proposals = space.points.length === 0 ? [] : Array.from({ length: 6 }, () => rng.pick(space.points));
      for (let i = 0; i < 6 && space.points.length > 0; i++) {
        proposals.push(mutate(space, w, rng.pick(space.points), rng));
        proposals.push(crossover(space, w, rng.pick(space.points), rng.pick(space.points), rng));
      }
      for (const s of proposals) {
        assert.ok(inSpace(space, s), `proposal outside the space: ${JSON.stringify(s)}`);
        const kernel = finalizeKernel(lowerWorkload(w, s, 'k'));
        const problem = kernelLimitProblem(kernel, limits);
        assert.equal(problem, undefined, `${JSON.stringify(s)} for ${w.kind} under ${JSON.stringify(limits)}: ${problem}`);
        // The space's own launch arithmetic is the lowering's.
        const shape = launchShape(w, s);
        assert.deepEqual([...shape.workgroupSize], [...kernel.workgroupSize]);
        assert.deepEqual([...shape.grid], [...kernel.grid]);
        assert.equal(shape.workgroupBytes, sharedBytes(kernel));
      }
    }),
    { numRuns: 60 },
  );
});

test('a schedule the space leaves out does violate the limits or is not canonical', () => {
  // Completeness in the other direction, on generous limits: every valid canonical sensible-sized
  // default is in the space, and an over-sized workgroup never is.
  const w = matmulWorkload(197, 576, 192, { prologue: 'folded' });
  const space = scheduleSpace(w, WEBGPU_DEFAULT_LIMITS);
  assert.ok(inSpace(space, canonicalSchedule(w, defaultSchedule(w, WEBGPU_DEFAULT_LIMITS))));
  assert.ok(space.points.length > 100, `a ViT GEMM has a real space (${space.points.length})`);
  assert.ok(!space.points.some((s) => s.kind === 'matmul' && s.wgX * s.wgY > 256));
  const small = scheduleSpace(w, { ...WEBGPU_DEFAULT_LIMITS, maxComputeWorkgroupStorageSize: 1024 });
  // LayerNorm prologue storage: (tileM·wgX + 2·tileM)·4 bytes must fit 1 KiB.
  for (const s of small.points) if (s.kind === 'matmul') assert.ok((s.wgY * s.tm * s.wgX + 2 * s.wgY * s.tm) * 4 <= 1024);
});

test('canonical schedules merge knobs that build the same kernel', () => {
  const w = matmulWorkload(16, 18, 8);
  // n = 18 is not a multiple of 4: vec4 falls back to scalar; a 1×1 tile cannot interleave; unroll is capped at k.
  const s = canonicalSchedule(w, { kind: 'matmul', wgX: 4, wgY: 4, tm: 1, tn: 1, vec: 4, kUnroll: 16, interleave: true });
  assert.deepEqual(s, { kind: 'matmul', wgX: 4, wgY: 4, tm: 1, tn: 1, vec: 1, kUnroll: 8, interleave: false, kSplit: 1, aVec: 1 });
  // Absent split-K and aVec are their neutral values, and keys stay those of records written before the knobs.
  assert.equal(scheduleKey(s), 'matmul:4,4,1,1,1,8,false');
  assert.equal(scheduleKey({ ...(s as MatmulSchedule), kSplit: 4, aVec: 4 }), 'matmul:4,4,1,1,1,8,false,split4,avec4');
  // vec4 A reads need K a multiple of 4 (k = 8 here) and count the unroll in steps of four k.
  assert.deepEqual(canonicalSchedule(w, { ...(s as MatmulSchedule), aVec: 4, kUnroll: 8 }), { ...s, aVec: 4, kUnroll: 2 });
  assert.equal((canonicalSchedule(matmulWorkload(16, 18, 6), { ...(s as MatmulSchedule), aVec: 4 }) as MatmulSchedule).aVec, 1);
  const space = scheduleSpace(w, WEBGPU_DEFAULT_LIMITS);
  assert.equal(new Set(space.points.map(scheduleKey)).size, space.points.length, 'no duplicates');
  // Every point lowers to a distinct WGSL-relevant configuration (keys equal ⇔ canonical forms equal).
  for (const p of space.points) assert.deepEqual(canonicalSchedule(w, p), p);
});

test('an impossible target gives an empty space rather than an invalid proposal', () => {
  const w = attentionWorkload(4, 20, 8);
  // 4 heads along grid y, but the target allows only 2 workgroups per dimension.
  const space = scheduleSpace(w, { ...WEBGPU_DEFAULT_LIMITS, maxComputeWorkgroupsPerDimension: 2 });
  assert.equal(space.points.length, 0);
});
