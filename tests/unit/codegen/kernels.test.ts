import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { lowerAttention } from '../../../codegen/lower/attention.js';
import { lowerElementwise } from '../../../codegen/lower/elementwise.js';
import { lowerReduce } from '../../../codegen/lower/reduce.js';
import { lowerRow } from '../../../codegen/lower/row.js';
import { contiguousView, expand, pad, permute, reshape } from '../../../codegen/plan/view.js';
import { ACC, type EExpr } from '../../../codegen/workload/expr.js';
import { type AdapterName, cpuDevice, runKernel } from '../../helpers/gpu.js';
import { randInt, randomFloats, rng } from '../../helpers/random.js';

function close(got: Float32Array, want: ArrayLike<number>, what: string, tol = 1e-4): void {
  for (let i = 0; i < want.length; i++)
    assert.ok(Math.abs(got[i]! - want[i]!) <= tol * (1 + Math.abs(want[i]!)), `${what}: element ${i}: ${got[i]} vs ${want[i]}`);
}

const input = (index: number): EExpr => ({ op: 'input', index });

for (const adapter of ['llvmpipe', 'swiftshader'] as AdapterName[])
  describe(adapter, () => {
    let device: GPUDevice;
    before(async () => {
      device = await cpuDevice(adapter);
    });
    after(() => device.destroy());

    test('elementwise: broadcast operands, gelu/where expression, vec4 and scalar schedules', async () => {
      const r = rng(3);
      for (const vec of [1, 4] as const) {
        const [a0, a1, a2] = [randInt(r, 1, 3), randInt(r, 1, 5), 4 * randInt(r, 1, 5)];
        const x = randomFloats(r, a0 * a1 * a2, 3);
        const bias = randomFloats(r, a2);
        // out = where(x > 0, gelu(x + bias), x * 0.5)
        const expr: EExpr = {
          op: 'where',
          cond: { op: 'binary', fn: 'greater', a: input(0), b: { op: 'const', value: 0 } },
          a: { op: 'unary', fn: 'gelu', a: { op: 'binary', fn: 'add', a: input(0), b: input(1) } },
          b: { op: 'binary', fn: 'mul', a: input(0), b: { op: 'const', value: 0.5 } },
        };
        const shape = [a0, a1, a2];
        const k = lowerElementwise(
          { kind: 'elementwise', shape, operands: [{ view: contiguousView(shape), dtype: 'f32' }, { view: expand(contiguousView([a2]), shape), dtype: 'f32' }], expr, output: { view: contiguousView(shape) } },
          { kind: 'elementwise', wg: 64, vec },
          'ew',
        );
        const got = await runKernel(device, k, [x, bias]);
        const erf = (z: number) => {
          let s = z, t = z;
          for (let n = 1; n < 60; n++) { t *= (-z * z) / n; s += t / (2 * n + 1); }
          return (2 / Math.sqrt(Math.PI)) * s;
        };
        const want = Array.from(x, (v, i) => (v > 0 ? 0.5 * (v + bias[i % a2]!) * (1 + erf((v + bias[i % a2]!) / Math.SQRT2)) : v * 0.5));
        close(got, want, `vec${vec}`, 2e-4);
      }
    });

    test('row kernels: layernorm and softmax with several threads per row', async () => {
      const r = rng(4);
      for (const [tpr, wg] of [[1, 32], [8, 64], [64, 64]] as const) {
        const rows = randInt(r, 1, 20);
        const cols = randInt(r, 1, 70);
        const x = randomFloats(r, rows * cols, 4);
        const g = randomFloats(r, cols);
        const be = randomFloats(r, cols);
        const ops = [{ view: contiguousView([rows, cols]), dtype: 'f32' as const }, { view: expand(contiguousView([cols]), [rows, cols]), dtype: 'f32' as const }, { view: expand(contiguousView([cols]), [rows, cols]), dtype: 'f32' as const }];
        const ln = lowerRow({ kind: 'row', op: 'layernorm', rows, cols, x: 0, epsilon: 1e-5, gamma: 1, beta: 2, operands: ops, epilogue: ACC, output: { view: contiguousView([rows, cols]) } }, { kind: 'row', wg, threadsPerRow: tpr }, 'ln');
        const sm = lowerRow({ kind: 'row', op: 'softmax', rows, cols, x: 0, epsilon: 0, gamma: null, beta: null, operands: [ops[0]!], epilogue: ACC, output: { view: contiguousView([rows, cols]) } }, { kind: 'row', wg, threadsPerRow: tpr }, 'sm');
        const wantLn: number[] = [];
        const wantSm: number[] = [];
        for (let i = 0; i < rows; i++) {
          const row = Array.from(x.subarray(i * cols, (i + 1) * cols));
          const mean = row.reduce((s, v) => s + v, 0) / cols;
          const v = row.reduce((s, q) => s + (q - mean) ** 2, 0) / cols;
          row.forEach((q, c) => wantLn.push(((q - mean) / Math.sqrt(v + 1e-5)) * g[c]! + be[c]!));
          const mx = Math.max(...row);
          const e = row.map((q) => Math.exp(q - mx));
          const s = e.reduce((a, q) => a + q, 0);
          e.forEach((q) => wantSm.push(q / s));
        }
        close(await runKernel(device, ln, [x, g, be]), wantLn, `layernorm tpr=${tpr} [${rows},${cols}]`);
        close(await runKernel(device, sm, [x]), wantSm, `softmax tpr=${tpr} [${rows},${cols}]`);
      }
    });

    test('reduce kernel: depthwise 3x3 convolution with padding through views', async () => {
      const r = rng(5);
      const [B, C, H, W] = [2, 3, 5, 6];
      const x = randomFloats(r, B * C * H * W);
      const wt = randomFloats(r, C * 9);
      const bias = randomFloats(r, C);
      // x zero-padded by 1 (a masked layer), then windows [B, C, H, W, 3, 3] read through a
      // strided layer over the padded index space: x_pad[b, c, h + i, w + j].
      const padded = pad(contiguousView([B, C, H, W]), [0, 0, 1, 1], [0, 0, 1, 1]);
      const [PH, PW] = [H + 2, W + 2];
      const viewX = { layers: [...padded.layers, { shape: [B, C, H, W, 3, 3], strides: [C * PH * PW, PH * PW, PW, 1, PW, 1], offset: 0 }] };
      const viewW = expand(reshape(contiguousView([C, 3, 3]), [1, C, 1, 1, 3, 3]), [B, C, H, W, 3, 3]);
      const k = lowerReduce(
        {
          kind: 'reduce',
          shape: [B, C, H, W],
          reduceShape: [3, 3],
          combine: 'sum',
          operands: [{ view: viewX, dtype: 'f32' }, { view: viewW, dtype: 'f32' }, { view: expand(reshape(contiguousView([C]), [1, C, 1, 1]), [B, C, H, W]), dtype: 'f32' }],
          body: { op: 'binary', fn: 'mul', a: input(0), b: input(1) },
          bodyOperands: [0, 1],
          epilogue: { op: 'binary', fn: 'add', a: ACC, b: input(2) },
          output: { view: contiguousView([B, C, H, W]) },
        },
        { kind: 'reduce', wg: 64 },
        'dw',
      );
      const want: number[] = [];
      for (let b = 0; b < B; b++)
        for (let c = 0; c < C; c++)
          for (let i = 0; i < H; i++)
            for (let j = 0; j < W; j++) {
              let s = bias[c]!;
              for (let di = 0; di < 3; di++)
                for (let dj = 0; dj < 3; dj++) {
                  const y = i + di - 1;
                  const z = j + dj - 1;
                  if (y >= 0 && y < H && z >= 0 && z < W) s += x[((b * C + c) * H + y) * W + z]! * wt[c * 9 + di * 3 + dj]!;
                }
              want.push(s);
            }
      close(await runKernel(device, k, [x, wt, bias]), want, 'depthwise');
    });

    test('attention kernel: heads read from a packed QKV layout, bias, odd lengths, several tiles', async () => {
      const r = rng(6);
      for (const [kvTile, rowsPerThread] of [[1, 1], [4, 2], [7, 3]] as const) {
        const [B, T, H, D] = [2, randInt(r, 1, 13), 2, 8];
        const qkv = randomFloats(r, B * T * 3 * H * D);
        const bias = randomFloats(r, H * T * T);
        // qkv: [B, T, 3, H, D] -> q/k/v [B, H, T, D] via views; out written as [B, T, H, D].
        const base = reshape(contiguousView([B, T, 3 * H * D]), [B, T, 3, H, D]);
        const part = (p: number) => {
          const v = permute(base, [2, 0, 3, 1, 4]);
          const l = v.layers[0]!;
          return { layers: [{ shape: l.shape.slice(1), strides: l.strides.slice(1), offset: l.offset + p * l.strides[0]! }] };
        };
        const scale = 1 / Math.sqrt(D);
        const k = lowerAttention(
          {
            kind: 'attention',
            batch: [B, H],
            tq: T,
            tk: T,
            d: D,
            dv: D,
            scale,
            q: 0,
            k: 1,
            v: 2,
            bias: 3,
            operands: [
              { view: part(0), dtype: 'f32' },
              { view: part(1), dtype: 'f32' },
              { view: part(2), dtype: 'f32' },
              { view: expand(reshape(contiguousView([H, T, T]), [1, H, T, T]), [B, H, T, T]), dtype: 'f32' },
            ],
            output: { view: permute(contiguousView([B, T, H, D]), [0, 2, 1, 3]) },
          },
          { kind: 'attention', rows: 8, kvTile, rowsPerThread },
          'attn',
        );
        const at = (b: number, t: number, p: number, h: number, d: number) => qkv[(((b * T + t) * 3 + p) * H + h) * D + d]!;
        const want = new Float64Array(B * T * H * D);
        for (let b = 0; b < B; b++)
          for (let h = 0; h < H; h++)
            for (let i = 0; i < T; i++) {
              const s = Array.from({ length: T }, (_, j) => {
                let dot = 0;
                for (let d = 0; d < D; d++) dot += at(b, i, 0, h, d) * at(b, j, 1, h, d);
                return dot * scale + bias[(h * T + i) * T + j]!;
              });
              const mx = Math.max(...s);
              const e = s.map((v) => Math.exp(v - mx));
              const z = e.reduce((a, v) => a + v, 0);
              for (let d = 0; d < D; d++) want[((b * T + i) * H + h) * D + d] = e.reduce((a, p, j) => a + (p / z) * at(b, j, 2, h, d), 0);
            }
        close(await runKernel(device, k, [qkv, qkv, qkv, bias]), want, `attention T=${T} kvTile=${kvTile} rowsPerThread=${rowsPerThread}`);
      }
    });
  });
