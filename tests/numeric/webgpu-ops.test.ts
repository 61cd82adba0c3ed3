import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { targetLimitsOf } from '../../codegen/schedule/limits.js';
import { compileWebGpu } from '../../compiler/compile-webgpu.js';
import { GraphBuilder } from '../../ir/builder.js';
import type { Graph, Value } from '../../ir/graph.js';
import * as O from '../../ir/ops/index.js';
import { Tensor } from '../../ir/tensor.js';
import { tensorType } from '../../ir/types.js';
import { runReference } from '../../runtime/reference/interpreter.js';
import { acquireDevice, type AcquiredDevice } from '../../runtime/webgpu/adapters.js';
import { createExecutor } from '../../runtime/webgpu/executor.js';
import { Rng } from '../helpers/prng.js';

/**
 * Every op class the WebGPU target lowers, on random shapes (odd sizes that no tile divides),
 * compiled and run on both CPU adapters and compared with the reference interpreter.
 */
type Case = { name: string; build: (r: Rng) => Graph };

const rand = (r: Rng, shape: number[], scale = 1) => Tensor.f32(shape, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r.float(-scale, scale)));

function graph(name: string, inputs: Record<string, number[]>, body: (b: GraphBuilder, x: Record<string, Value>) => Value): Graph {
  const b = new GraphBuilder(name);
  const vals: Record<string, Value> = {};
  for (const [k, s] of Object.entries(inputs)) vals[k] = b.input(k, tensorType('f32', s));
  b.output(body(b, vals), 'y');
  return b.build();
}

const CASES: Case[] = [
  {
    name: 'matmul (batched, broadcast weights) + bias + gelu + residual',
    build: (r) => {
      const [bs, m, k, n] = [r.int(1, 3), r.int(1, 40), r.int(1, 50), r.int(1, 37)];
      return graph('mm', { x: [bs, m, k], res: [bs, m, n] }, (b, v) => {
        const w = b.constant(rand(r, [k, n]));
        const h = b.add1(O.Add, [b.add1(O.MatMul, [v.x!, w], {}), b.constant(rand(r, [n]))], {});
        return b.add1(O.Add, [b.add1(O.Gelu, [h], {}), v.res!], {});
      });
    },
  },
  {
    name: 'batched activation matmul through transposes',
    build: (r) => {
      const [h, t, d] = [r.int(1, 4), r.int(2, 19), r.int(1, 9)];
      return graph('bmm', { a: [t, h, d], bT: [h, t, d] }, (b, v) => {
        const a = b.add1(O.Transpose, [v.a!], { perm: [1, 0, 2] });
        const bt = b.add1(O.Transpose, [v.bT!], { perm: [0, 2, 1] });
        return b.add1(O.Softmax, [b.add1(O.MatMul, [a, bt], {})], { axis: 1 });
      });
    },
  },
  {
    name: 'layer_norm feeding a matmul (prologue) and a layer_norm over two axes',
    build: (r) => {
      const [t, c, n] = [r.int(1, 30), r.int(2, 40), r.int(1, 20)];
      return graph('ln', { x: [1, t, c] }, (b, v) => {
        const ln = b.add1(O.LayerNorm, [v.x!, b.constant(rand(r, [c])), b.constant(rand(r, [c]))], { epsilon: 1e-5 });
        const y = b.add1(O.MatMul, [ln, b.constant(rand(r, [c, n]))], {});
        const z = b.add1(O.LayerNorm, [b.add1(O.Reshape, [v.x!], { shape: [t, c] }), b.constant(rand(r, [t, c]))], { axis: 0 });
        return b.add1(O.Add, [b.add1(O.ReduceMean, [y], { axes: [-1], keepdims: false }), b.add1(O.ReduceSum, [z], { axes: [1], keepdims: false })], {});
      });
    },
  },
  {
    name: 'conv with stride, padding, dilation, bias + relu',
    build: (r) => {
      const [c, h, w, co, k] = [r.int(1, 4), r.int(5, 13), r.int(5, 13), r.int(1, 9), r.pick([1, 3])];
      const pad = r.int(0, 1);
      return graph('conv', { x: [r.int(1, 2), c, h, w] }, (b, v) => {
        const y = b.add1(O.Conv, [v.x!, b.constant(rand(r, [co, c, k, k])), b.constant(rand(r, [co]))], {
          strides: [r.int(1, 2), r.int(1, 2)],
          pads: [pad, pad, pad, pad],
          dilations: [r.int(1, 2), 1],
        });
        return b.add1(O.Relu, [y], {});
      });
    },
  },
  {
    name: 'depthwise and grouped convs',
    build: (r) => {
      const [g, cg, h] = [r.int(2, 4), r.int(1, 2), r.int(4, 10)];
      const c = g * cg;
      return graph('dw', { x: [1, c, h, h + 1] }, (b, v) => {
        const dw = b.add1(O.Conv, [v.x!, b.constant(rand(r, [c, 1, 3, 3]))], { strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1], group: c });
        return b.add1(O.Conv, [dw, b.constant(rand(r, [2 * g, cg, 3, 1])), b.constant(rand(r, [2 * g]))], { strides: [2, 1], pads: [1, 0, 1, 0], dilations: [1, 1], group: g });
      });
    },
  },
  {
    name: 'pools (ceil mode, padding, count_include_pad) and global average pool',
    build: (r) => {
      const [c, h, w] = [r.int(1, 3), r.int(5, 11), r.int(5, 11)];
      return graph('pool', { x: [1, c, h, w] }, (b, v) => {
        const a = b.add1(O.AvgPool, [v.x!], { kernel: [3, 2], strides: [2, 2], pads: [1, 0, 1, 1], ceil_mode: r.bool(), count_include_pad: r.bool() });
        const m = b.add1(O.MaxPool, [a], { kernel: [2, 2], strides: [1, 2], pads: [0, 1, 0, 1], dilations: [1, 1], ceil_mode: true });
        return b.add1(O.GlobalAvgPool, [m], {});
      });
    },
  },
  {
    name: 'group_norm, batch_norm and elementwise with channel broadcasting',
    build: (r) => {
      const [g, cg, h] = [r.int(1, 3), r.int(1, 3), r.int(2, 6)];
      const c = g * cg;
      return graph('norms', { x: [2, c, h, h] }, (b, v) => {
        const gn = b.add1(O.GroupNorm, [v.x!, b.constant(rand(r, [c])), b.constant(rand(r, [c]))], { groups: g });
        const bn = b.add1(O.BatchNorm, [gn, b.constant(rand(r, [c])), b.constant(rand(r, [c])), b.constant(rand(r, [c])), b.constant(Tensor.f32([c], Array.from({ length: c }, () => r.float(0.5, 2))))], {});
        return b.add1(O.Sigmoid, [b.add1(O.Mul, [bn, b.constant(rand(r, [c, 1, 1]))], {})], {});
      });
    },
  },
  {
    name: 'layout views: concat, slices, split, pad, expand into pointwise work',
    build: (r) => {
      const [a, c] = [r.int(1, 5), r.int(2, 9)];
      return graph('views', { x: [a, c], u: [a, 3] }, (b, v) => {
        const cat = b.add1(O.Concat, [v.x!, v.u!], { axis: 1 });
        const sl = b.add1(O.Slice, [cat], { starts: [1], ends: [c + 2], axes: [1], steps: [2] });
        const [s0, s1] = b.add(O.Split, [cat], { axis: 1, sizes: [2, c + 1] });
        const p = b.add1(O.Pad, [s0!], { pads: [0, 1, 0, 1] });
        const e = b.add1(O.Expand, [b.add1(O.ReduceMax, [s1!], { axes: [1] })], { shape: [a, p.type.shape[1] as number] });
        const t = b.add1(O.Transpose, [b.add1(O.Add, [p, e], {})], { perm: [1, 0] });
        return b.add1(O.Mul, [b.add1(O.ReduceMean, [t], { axes: [0], keepdims: false }), b.add1(O.ReduceSum, [sl], { axes: [1], keepdims: false })], {});
      });
    },
  },
  {
    name: 'attention op with bias and a non-trivial scale',
    build: (r) => {
      const [h, tq, tk, d] = [r.int(1, 3), r.int(1, 23), r.int(1, 23), r.pick([3, 4, 8])];
      return graph('attn', { q: [2, h, tq, d], k: [2, h, tk, d], v: [2, h, tk, d + 1] }, (b, v) =>
        b.add1(O.Attention, [v.q!, v.k!, v.v!, b.constant(rand(r, [1, h, tq, tk]))], { scale: 0.37 }),
      );
    },
  },
];

for (const adapter of ['llvmpipe', 'swiftshader'] as const)
  describe(`WebGPU ops on ${adapter}`, () => {
    let dev: AcquiredDevice;
    before(async () => {
      dev = await acquireDevice({ adapter, maxLimits: true });
    });
    after(() => dev.release());
    for (const c of CASES)
      test(c.name, async () => {
        const r = new Rng(adapter === 'llvmpipe' ? 11 : 23);
        for (let trial = 0; trial < 3; trial++) {
          const g = c.build(r);
          const compiled = compileWebGpu(g, { batch: 1, limits: targetLimitsOf(dev.device.limits) });
          const exec = await createExecutor(dev.device, compiled.plan, compiled.sources, compiled.weights);
          try {
            const feeds = new Map<string, Tensor>();
            const inputs: Record<string, Float32Array> = {};
            for (const v of g.inputs) {
              const t = rand(r, v.type.shape as number[], 2);
              feeds.set(v.name!, t);
              inputs[v.name!] = t.data as Float32Array;
            }
            const got = (await exec.run(inputs)).y!;
            const want = runReference(g, feeds).get('y')!;
            assert.equal(got.length, want.size);
            for (let i = 0; i < want.size; i++) {
              const w = want.get(i);
              assert.ok(Math.abs(got[i]! - w) <= 1e-5 + 1e-4 * Math.abs(w), `${c.name} trial ${trial}: element ${i} of [${want.shape}]: ${got[i]} vs ${w}`);
            }
          } finally {
            exec.destroy();
          }
        }
      });
  });
