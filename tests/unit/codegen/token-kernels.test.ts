import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { lowerAttention } from '../../../codegen/lower/attention.js';
import { lowerGather } from '../../../codegen/lower/gather.js';
import { lowerScatterAdd } from '../../../codegen/lower/scatter-add.js';
import { lowerTopK } from '../../../codegen/lower/top-k.js';
import { packedViews } from '../../../codegen/plan/seeds.js';
import { contiguousView, expand, permute, reshape } from '../../../codegen/plan/view.js';
import { ACC, type EExpr } from '../../../codegen/workload/expr.js';
import { Attention, Gather, GatherElements, ScatterAdd, TopK } from '../../../ir/ops/index.js';
import { Tensor } from '../../../ir/tensor.js';
import { type AdapterName, cpuDevice, runKernel } from '../../helpers/gpu.js';
import { runOp } from '../../helpers/op-testing.js';
import { Rng } from '../../helpers/prng.js';

/*
 * The token-reduction kernels against the ops' reference implementations, on both CPU adapters.
 * Index tensors are stored as f32 integers by the kernels that produce them and as i32 in baked
 * constants: both are exercised.
 */

function close(got: ArrayLike<number>, want: ArrayLike<number>, what: string, tol = 1e-5): void {
  assert.equal(got.length >= want.length, true, `${what}: ${got.length} values for ${want.length}`);
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i]! - want[i]!) <= tol * (1 + Math.abs(want[i]!)), `${what}: element ${i}: ${got[i]} vs ${want[i]}`);
}

function floats(rng: Rng, n: number, levels?: number): Float32Array {
  return Float32Array.from({ length: n }, () => (levels ? rng.int(0, levels - 1) * 0.25 : rng.float(-2, 2)));
}

const input = (index: number): EExpr => ({ op: 'input', index });

for (const adapter of ['llvmpipe', 'swiftshader'] as AdapterName[])
  describe(`token-reduction kernels on ${adapter}`, () => {
    let device: GPUDevice;
    before(async () => {
      device = await cpuDevice(adapter);
    });
    after(() => device.destroy());

    test('top_k: rank sort of rows of up to 1,024 entries, staged or not, ties, both orders, a transposed operand', async () => {
      const rng = new Rng(81);
      const cases: [number, number, number, boolean, number, boolean][] = [
        [3, 1, 1, true, 4, true],
        [5, 9, 1, true, 8, false],
        [4, 17, 17, false, 16, true],
        [2, 64, 10, true, 64, false],
        [2, 300, 150, false, 64, true],
        [1, 1024, 50, true, 128, true],
      ];
      for (const [rows, n, k, largest, wg, staged] of cases) {
        const x = floats(rng, rows * n, n > 8 ? 5 : undefined);
        // x is stored [n, rows] and read transposed, as top_k over a view.
        const stored = new Float32Array(rows * n);
        for (let r = 0; r < rows; r++) for (let i = 0; i < n; i++) stored[i * rows + r] = x[r * n + i]!;
        const [values, indices] = packedViews([[rows, k], [rows, k]]);
        const kernel = lowerTopK(
          { kind: 'top_k', rows: [rows], n, k, largest, operands: [{ view: permute(contiguousView([n, rows]), [1, 0]), dtype: 'f32' }], output: { view: values! }, indices: { view: indices! } },
          { kind: 'top_k', wg, staged },
          'topk',
        );
        const got = await runKernel(device, kernel, [stored]);
        const [wantV, wantI] = runOp(TopK, [Tensor.f32([rows, n], x)], { k, largest });
        const what = `top_k rows=${rows} n=${n} k=${k} largest=${largest} staged=${staged}`;
        assert.deepEqual(Array.from(got.subarray(rows * k, 2 * rows * k)), wantI!.toNumbers(), `${what}: indices`);
        assert.deepEqual(Array.from(got.subarray(0, rows * k)), wantV!.toNumbers(), `${what}: values`);
      }
    });

    test('gather: element-wise along an axis with negative indices (i32 and f32-stored), a fused epilogue, and a dynamic Gather', async () => {
      const rng = new Rng(82);
      const [B, T, C, K] = [2, 7, 5, 4];
      const x = floats(rng, B * T * C);
      const idx = Array.from({ length: B * K }, () => rng.int(-T, T - 1));
      const scale = floats(rng, B * K * C);
      for (const dtype of ['i32', 'f32'] as const) {
        const idxData = dtype === 'i32' ? Int32Array.from(idx) : Float32Array.from(idx);
        // indices [B, K] broadcast over channels, as token gathers read them.
        const kernel = lowerGather(
          {
            kind: 'gather',
            shape: [B, K, C],
            x: 0,
            indices: 1,
            xAxes: [0, -1, 2],
            operands: [
              { view: contiguousView([B, T, C]), dtype: 'f32' },
              { view: expand(reshape(contiguousView([B, K]), [B, K, 1]), [B, K, C]), dtype },
              { view: contiguousView([B, K, C]), dtype: 'f32' },
            ],
            epilogue: { op: 'binary', fn: 'mul', a: ACC, b: input(2) },
            output: { view: contiguousView([B, K, C]) },
          },
          { kind: 'gather', wg: 32 },
          'gather',
        );
        const got = await runKernel(device, kernel, [x, idxData, scale]);
        const expanded = Tensor.fromNumbers('i64', [B, K, C], idx.flatMap((j) => new Array<number>(C).fill(j)));
        const want = runOp(GatherElements, [Tensor.f32([B, T, C], x), expanded], { axis: 1 })[0]!.toNumbers().map((v, i) => v * scale[i]!);
        close(got, want, `gather_elements with ${dtype} indices`);
      }
      // ONNX Gather with computed indices [2, 3] on axis 1 of [B, T, C]: out [B, 2, 3, C].
      const g = [3, -1, 0, 6, 2, 2];
      const kernel = lowerGather(
        {
          kind: 'gather',
          shape: [B, 2, 3, C],
          x: 0,
          indices: 1,
          xAxes: [0, -1, 3],
          operands: [
            { view: contiguousView([B, T, C]), dtype: 'f32' },
            { view: expand(reshape(contiguousView([2, 3]), [1, 2, 3, 1]), [B, 2, 3, C]), dtype: 'f32' },
          ],
          epilogue: ACC,
          output: { view: contiguousView([B, 2, 3, C]) },
        },
        { kind: 'gather', wg: 64 },
        'gather_dyn',
      );
      const want = runOp(Gather, [Tensor.f32([B, T, C], x), Tensor.fromNumbers('i64', [2, 3], g)], { axis: 1 })[0]!.toNumbers();
      close(await runKernel(device, kernel, [x, Float32Array.from(g)]), want, 'dynamic gather');
    });

    test('scatter_add: repeated and negative indices accumulate in order, with a dividing epilogue', async () => {
      const rng = new Rng(83);
      for (const [B, T, C, R] of [[2, 6, 5, 4], [3, 9, 1, 9]] as const) {
        const data = floats(rng, B * T * C);
        const idx = Array.from({ length: B * R }, () => rng.int(-T, T - 1));
        const upd = floats(rng, B * R * C);
        const denom = Float32Array.from({ length: B * T * C }, () => rng.float(0.5, 2));
        const kernel = lowerScatterAdd(
          {
            kind: 'scatter_add',
            shape: [B, T, C],
            updateShape: [B, R, C],
            axis: 1,
            data: 0,
            indices: 1,
            updates: 2,
            operands: [
              { view: contiguousView([B, T, C]), dtype: 'f32' },
              { view: expand(reshape(contiguousView([B, R]), [B, R, 1]), [B, R, C]), dtype: 'i32' },
              { view: contiguousView([B, R, C]), dtype: 'f32' },
              { view: contiguousView([B, T, C]), dtype: 'f32' },
            ],
            epilogue: { op: 'binary', fn: 'div', a: ACC, b: input(3) },
            output: { view: contiguousView([B, T, C]) },
          },
          { kind: 'scatter_add', wg: 16 },
          'scatter',
        );
        const got = await runKernel(device, kernel, [data, Int32Array.from(idx), upd, denom]);
        const expanded = Tensor.fromNumbers('i64', [B, R, C], idx.flatMap((j) => new Array<number>(C).fill(j)));
        const want = runOp(ScatterAdd, [Tensor.f32([B, T, C], data), expanded, Tensor.f32([B, R, C], upd)], { axis: 1 })[0]!.toNumbers().map((v, i) => v / denom[i]!);
        close(got, want, `scatter_add [${B},${T},${C}] with ${R} updates`);
      }
    });

    test('attention with class-token statistics: probabilities of row 0 and value norms next to the output', async () => {
      const rng = new Rng(84);
      for (const [B, H, T, D, rows] of [[2, 3, 9, 8, 4], [1, 2, 5, 3, 8]] as const) {
        const q = floats(rng, B * H * T * D);
        const k = floats(rng, B * H * T * D);
        const v = floats(rng, B * H * T * D);
        const bias = floats(rng, B * T);
        const scale = 1 / Math.sqrt(D);
        const [out, probs, vnorm] = packedViews([[B, H, T, D], [B, H, T], [B, H, T]]);
        const view = contiguousView([B, H, T, D]);
        const kernel = lowerAttention(
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
              { view, dtype: 'f32' },
              { view, dtype: 'f32' },
              { view, dtype: 'f32' },
              { view: expand(reshape(contiguousView([B, T]), [B, 1, 1, T]), [B, H, T, T]), dtype: 'f32' },
            ],
            output: { view: out! },
            clsStats: { probs: { view: probs! }, vnorm: { view: vnorm! } },
          },
          { kind: 'attention', rows, kvTile: 4 },
          'attn_cls',
        );
        const got = await runKernel(device, kernel, [q, k, v, bias]);
        const shape = [B, H, T, D];
        const ref = runOp(Attention, [Tensor.f32(shape, q), Tensor.f32(shape, k), Tensor.f32(shape, v), Tensor.f32([B, 1, 1, T], bias)], { scale, cls_stats: true });
        const n = B * H * T * D;
        const m = B * H * T;
        close(got.subarray(0, n), ref[0]!.toNumbers(), `attention output D=${D}`, 1e-4);
        close(got.subarray(n, n + m), ref[1]!.toNumbers(), `row-0 probabilities D=${D}`, 1e-4);
        close(got.subarray(n + m, n + 2 * m), ref[2]!.toNumbers(), `value norms D=${D}`, 1e-5);
      }
    });
  });
