import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { acquireDevice, type AcquiredDevice } from '../../../runtime/webgpu/adapters.js';
import { createExecutor, timeProgram, trialPlan, WebGpuRuntimeError } from '../../../runtime/webgpu/executor.js';
import type { ExecutionPlan } from '../../../runtime/webgpu/plan.js';
import { assertClose, BIAS_ACT_WGSL, H, K, M, MATMUL_WGSL, mlpCase, program, seededValues, sha256 } from './mlp-case.js';

const ADAPTERS = ['llvmpipe', 'swiftshader'] as const;

for (const adapter of ADAPTERS) {
  describe(`executor on ${adapter}`, () => {
    let gpu: AcquiredDevice;
    before(async () => {
      gpu = await acquireDevice({ adapter, plan: mlpCase().plan });
    });
    after(() => gpu?.release());

    test('runs the two-layer MLP plan and matches a CPU evaluation', async () => {
      const c = mlpCase();
      const ex = await createExecutor(gpu.device, c.plan, c.sources, c.weights);
      try {
        for (const seed of [10, 11]) {
          const x = seededValues(M * K, seed);
          const out = await ex.run({ x });
          const ref = c.reference(x);
          assertClose(out.hidden, ref.hidden, 'hidden', 1e-5, 1e-5);
          assertClose(out.logits, ref.logits, 'logits', 1e-5, 1e-5);
          assert.ok(out.logits instanceof Float32Array);
        }
        // matmul and matmul_again share one source: one module, one pipeline.
        assert.deepEqual(ex.stats, { programs: 3, shaderModules: 2, pipelines: 2, bindGroups: 4, dispatches: 4 });
      } finally {
        ex.destroy();
      }
    });

    test('concurrent runs each get their own outputs', async () => {
      const c = mlpCase({ embedSources: true });
      const ex = await createExecutor(gpu.device, c.plan, undefined, c.weights); // sources embedded in the plan
      try {
        const xs = [20, 21, 22].map((s) => seededValues(M * K, s));
        const outs = await Promise.all(xs.map((x) => ex.run({ x })));
        outs.forEach((out, i) => assertClose(out.logits, c.reference(xs[i]!).logits, `logits of run ${i}`));
      } finally {
        ex.destroy();
      }
    });

    test('profiles each dispatch and times one dispatch repeatedly', async () => {
      const c = mlpCase();
      const ex = await createExecutor(gpu.device, c.plan, c.sources, c.weights);
      try {
        const expected = adapter === 'swiftshader' ? 'timestamp' : 'host';
        const profile = await ex.profile({ x: seededValues(M * K, 5) });
        assert.equal(profile.method, expected);
        assert.deepEqual(
          profile.dispatches.map((d) => d.label),
          ['fc1', 'fc1.bias_relu', 'fc2', 'fc2.bias'],
        );
        assert.ok(profile.dispatches.every((d) => Number.isFinite(d.ms) && d.ms >= 0));
        assert.ok(profile.totalMs > 0, `total ${profile.totalMs} ms`);
        const timing = await ex.timeDispatch(0, { warmup: 1, repeats: 5 });
        assert.equal(timing.method, expected);
        assert.equal(timing.samplesMs.length, 5);
        assert.ok(timing.minMs <= timing.medianMs && timing.minMs === Math.min(...timing.samplesMs));
        const host = await ex.timeDispatch(1, { repeats: 3, method: 'host' });
        assert.ok(host.samplesMs.every((ms) => ms > 0));
        // Profiling leaves the plan runnable with correct results.
        const x = seededValues(M * K, 6);
        assertClose((await ex.run({ x })).logits, c.reference(x).logits, 'logits after profiling');
        if (adapter === 'llvmpipe') {
          await assert.rejects(ex.profile(undefined, { method: 'timestamp' }), /timestamp timing needs the 'timestamp-query' feature, which llvmpipe/);
        }
      } finally {
        ex.destroy();
      }
    });
  });
}

describe('executor checks and errors (SwiftShader)', () => {
  let gpu: AcquiredDevice;
  before(async () => {
    gpu = await acquireDevice({ adapter: 'swiftshader' });
  });
  after(() => gpu?.release());

  const rejectsWith = async (p: Promise<unknown>, pattern: RegExp) =>
    assert.rejects(p, (e: unknown) => {
      assert.ok(e instanceof WebGpuRuntimeError, `not a WebGpuRuntimeError: ${String(e)}`);
      assert.match(e.message, pattern);
      assert.ok(!e.message.includes('\n'), `not one line: ${e.message}`);
      return true;
    });

  test('inputs of the wrong name, size or type fail clearly', async () => {
    const c = mlpCase();
    const ex = await createExecutor(gpu.device, c.plan, c.sources, c.weights);
    try {
      const x = seededValues(M * K, 1);
      await rejectsWith(ex.run({ x, y: x }), /^unknown input "y"; plan mlp takes "x"$/);
      await rejectsWith(ex.run({}), /^missing input "x" of plan mlp$/);
      await rejectsWith(ex.run({ x: new Float32Array(5) }), /^input "x" needs a Float32Array of 111 f32 values \(shape \[3,37\]\); got Float32Array of 5$/);
      await rejectsWith(ex.run({ x: new Int32Array(M * K) }), /needs a Float32Array .* got Int32Array of 111/);
      // A valid run still works after rejected ones.
      assertClose((await ex.run({ x })).logits, c.reference(x).logits, 'logits');
    } finally {
      ex.destroy();
    }
  });

  test('inputs that are views of a SharedArrayBuffer are accepted', async () => {
    const c = mlpCase();
    const ex = await createExecutor(gpu.device, c.plan, c.sources, c.weights);
    try {
      const x = new Float32Array(new SharedArrayBuffer(M * K * 4));
      x.set(seededValues(M * K, 3));
      assertClose((await ex.run({ x })).logits, c.reference(new Float32Array(x)).logits, 'logits');
    } finally {
      ex.destroy();
    }
  });

  test('invalid WGSL is one error naming the program and the line', async () => {
    const c = mlpCase();
    const sources = new Map(c.sources);
    sources.set('bias_act', BIAS_ACT_WGSL.replace('let v = t[i] + b[i % shape.n];', 'let v = t[i] + ;'));
    const plan: ExecutionPlan = {
      ...c.plan,
      programs: c.plan.programs.map((p) => (p.id === 'bias_act' ? { ...p, hash: 'changed' } : p)),
    };
    await rejectsWith(createExecutor(gpu.device, plan, sources, c.weights), /^program bias_act has invalid WGSL: bias_act\.wgsl:12:\d+: /);
  });

  test('a plan whose binding access disagrees with the WGSL names the program', async () => {
    const c = mlpCase();
    const plan: ExecutionPlan = {
      ...c.plan,
      programs: c.plan.programs.map((p) => (p.id === 'bias_act' ? { ...p, bindings: [{ access: 'read' }, { access: 'read' }, { access: 'read' }, { access: 'uniform' }] } : p)),
    };
    await rejectsWith(createExecutor(gpu.device, plan, c.sources, c.weights), /^program bias_act: pipeline creation failed: .*(Storage|storage)/);
  });

  test('structural problems are reported before anything is created', async () => {
    const c = mlpCase();
    const d1 = c.plan.dispatches[1]!;
    const cases: [ExecutionPlan, RegExp][] = [
      [{ ...c.plan, format: 'other' as ExecutionPlan['format'] }, /^plan format is "other"; this runtime reads vitc-webgpu-plan\/1$/],
      [{ ...c.plan, dispatches: [{ ...d1, program: 'nope' }] }, /^dispatch 0 \(fc1\.bias_relu\) uses unknown program nope$/],
      [
        { ...c.plan, dispatches: [{ ...d1, bindings: [d1.bindings[0]!, d1.bindings[1]!, { buffer: 'io', offset: c.plan.ioBytes - 8, size: 16 }, d1.bindings[3]!] }] },
        /binding 2 covers io bytes \[\d+, \d+\) but the io buffer has \d+/,
      ],
      // Reading the arena read-only while writing it in the same dispatch: WebGPU rejects that.
      [
        { ...c.plan, dispatches: [{ ...d1, bindings: [d1.bindings[0]!, d1.bindings[1]!, { buffer: 'arena', offset: 0, size: 16 }, d1.bindings[3]!] }] },
        /^dispatch 0 \(fc1\.bias_relu\) binds the arena buffer read_write \(binding 2\) and read \(binding 0\); WebGPU forbids mixing them/,
      ],
      [{ ...c.plan, dispatches: [{ ...d1, bindings: [d1.bindings[0]!, d1.bindings[1]!, d1.bindings[3]!, d1.bindings[2]!] }] }, /binding 2 is read_write but lies in the params buffer/],
    ];
    for (const [plan, pattern] of cases) await rejectsWith(createExecutor(gpu.device, plan, c.sources, c.weights), pattern);
    const withoutW1 = new Map([...c.weights].filter(([k]) => k !== 'w1'));
    await rejectsWith(createExecutor(gpu.device, c.plan, c.sources, withoutW1), /^weight "w1" is missing$/);
    const short = new Map(c.weights);
    short.set('b2', new Uint8Array(8));
    await rejectsWith(createExecutor(gpu.device, c.plan, c.sources, short), /^weight "b2" has 8 bytes; the plan expects 40$/);
  });

  test('device limits are checked against every program and dispatch', async () => {
    const c = mlpCase();
    const big: ExecutionPlan = {
      ...c.plan,
      programs: c.plan.programs.map((p) =>
        p.id === 'bias_act' ? { ...p, workgroupSize: [512, 1, 1] as const } : p.id === 'matmul' ? { ...p, workgroupBytes: 65536 } : p,
      ),
    };
    // The device was created with default limits: 256 invocations, 16384 bytes of workgroup memory.
    await rejectsWith(
      createExecutor(gpu.device, big, c.sources, c.weights),
      /^program matmul needs 65536 bytes of workgroup memory; SwiftShader allows 16384 \(and 1 more problem\)$/,
    );
    await rejectsWith(
      createExecutor(gpu.device, { ...big, programs: c.plan.programs.map((p) => (p.id === 'bias_act' ? { ...p, workgroupSize: [512, 1, 1] as const } : p)) }, c.sources, c.weights),
      /^program bias_act needs 512 invocations per workgroup; SwiftShader allows 256$/,
    );
    const missingFeature: ExecutionPlan = { ...c.plan, requires: { features: ['shader-f16'], limits: {} } };
    await rejectsWith(createExecutor(gpu.device, missingFeature, c.sources, c.weights), /^plan mlp needs feature shader-f16, which the SwiftShader device was not created with$/);
  });

  test('a lost device turns pending and later runs into one clear error', async () => {
    const own = await acquireDevice({ adapter: 'swiftshader' });
    const c = mlpCase();
    const ex = await createExecutor(own.device, c.plan, c.sources, c.weights);
    const x = seededValues(M * K, 1);
    await ex.run({ x });
    const pending = ex.run({ x });
    own.device.destroy();
    await rejectsWith(pending, /^WebGPU device lost: destroyed/);
    await rejectsWith(ex.run({ x }), /^WebGPU device lost: destroyed/);
    await rejectsWith(ex.timeDispatch(0), /^WebGPU device lost: destroyed/);
  });

  test('f16, i32 and u32 tensors go in and come out converted', async () => {
    // Copies words from input slices to output slices, all in io: every io binding is read_write,
    // which is how a dispatch may read and write one buffer.
    const copy = `
@group(0) @binding(0) var<storage, read_write> src: array<u32>;
@group(0) @binding(1) var<storage, read_write> dst: array<u32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  if (gid.x < arrayLength(&dst)) { dst[gid.x] = src[gid.x]; }
}`;
    const io = (i: number, size: number) => ({ buffer: 'io' as const, offset: i * 256, size });
    const tensors = [
      ['a', 'f16', [6], 12],
      ['b', 'i32', [3], 12],
      ['c', 'u32', [2], 8],
    ] as const;
    const plan: ExecutionPlan = {
      format: 'vitc-webgpu-plan/1',
      name: 'copy',
      alignment: 256,
      weightsBytes: 0,
      arenaBytes: 0,
      ioBytes: 5 * 256 + 8,
      paramsBytes: 0,
      params: [],
      weights: [],
      inputs: tensors.map(([name, dtype, shape, size], i) => ({ name, dtype, shape, slice: io(i, size) })),
      outputs: tensors.map(([name, dtype, shape, size], i) => ({ name: `${name}_out`, dtype, shape, slice: io(i + 3, size) })),
      programs: [{ ...program('copy', copy, 'copy.wgsl', [64, 1, 1], true), bindings: [{ access: 'read_write' }, { access: 'read_write' }] }],
      dispatches: tensors.map((_, i) => ({ program: 'copy', grid: [1, 1, 1] as const, bindings: [io(i, tensors[i]![3]), io(i + 3, tensors[i]![3])], label: `copy${i}` })),
      requires: { features: [], limits: {} },
    };
    const ex = await createExecutor(gpu.device, plan);
    try {
      // f32 -> f16 rounds to nearest even: 1 + 2^-11 is halfway between 1 and 1 + 2^-10 (goes to 1),
      // 1 + 3 * 2^-11 is halfway between 1 + 2^-10 and 1 + 2^-9 (goes to the even 1 + 2^-9).
      const a = new Float32Array([0.5, -2, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 1e6, 2 ** -20]);
      const b = new Int32Array([-7, 0, 2147483647]);
      const cc = new Uint32Array([4294967295, 1]);
      const out = await ex.run({ a, b, c: cc });
      assert.deepEqual(Array.from(out.a_out!), [0.5, -2, 1, 1 + 2 ** -9, Infinity, 2 ** -20]);
      assert.ok(out.b_out instanceof Int32Array && out.c_out instanceof Uint32Array);
      assert.deepEqual(Array.from(out.b_out), [-7, 0, 2147483647]);
      assert.deepEqual(Array.from(out.c_out), [4294967295, 1]);
      // Raw half bits are taken as they are: 1, -2, +inf, the smallest subnormal, 0x3555, the largest finite.
      const bits = new Uint16Array([0x3c00, 0xc000, 0x7c00, 0x0001, 0x3555, 0x7bff]);
      const raw = await ex.run({ a: bits, b, c: cc });
      assert.deepEqual(Array.from(raw.a_out!), [1, -2, Infinity, 2 ** -24, 0.25 * (1 + 0x155 / 1024), 65504]);
    } finally {
      ex.destroy();
    }
  });

  test('timeProgram compiles one candidate alone and times it', async () => {
    const trial = {
      program: program('matmul', MATMUL_WGSL, 'matmul.wgsl', [8, 8, 1], true),
      grid: [Math.ceil(H / 8), Math.ceil(M / 8), 1] as const,
      bindings: [{ bytes: M * K * 4 }, { bytes: K * H * 4 }, { bytes: M * H * 4 }, { words: [M, K, H, 0] }],
    };
    const plan = trialPlan(trial, gpu.device.limits);
    assert.deepEqual(
      plan.dispatches[0]!.bindings.map((s) => s.buffer),
      ['weights', 'weights', 'arena', 'params'],
    );
    assert.equal(plan.dispatches[0]!.bindings[1]!.offset % gpu.device.limits.minStorageBufferOffsetAlignment, 0);
    const timing = await timeProgram(gpu.device, trial, { warmup: 1, repeats: 4 });
    assert.equal(timing.method, 'timestamp');
    assert.equal(timing.samplesMs.length, 4);
    assert.ok(timing.minMs <= timing.medianMs);
    assert.equal(sha256(MATMUL_WGSL), trial.program.hash);
  });

  test('a destroyed executor refuses to run', async () => {
    const c = mlpCase();
    const ex = await createExecutor(gpu.device, c.plan, c.sources, c.weights);
    ex.destroy();
    await rejectsWith(ex.run({ x: seededValues(M * K, 1) }), /^the executor of plan mlp was destroyed$/);
  });
});
