import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MatMul } from '../../../ir/ops/index.js';
import { Tensor } from '../../../ir/tensor.js';
import { Rng } from '../../helpers/prng.js';
import { assertClose, randomTensor, runOp1 } from '../../helpers/op-testing.js';

test('matmul matches row-by-column dot products for odd sizes (register-blocking remainders)', () => {
  const rng = new Rng(51);
  for (let t = 0; t < 40; t++) {
    const [m, k, n] = [rng.int(1, 9), rng.int(1, 9), rng.int(1, 11)];
    const batch = rng.int(1, 3);
    const a = randomTensor(rng, [batch, m, k]);
    const b = randomTensor(rng, [k, n]);
    const want: number[] = [];
    for (let bi = 0; bi < batch; bi++)
      for (let i = 0; i < m; i++)
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let p = 0; p < k; p++) s += a.get((bi * m + i) * k + p) * b.get(p * n + j);
          want.push(s);
        }
    assertClose(runOp1(MatMul, [a, b], {}), want, [batch, m, n], `case ${t}: [${batch},${m},${k}]·[${k},${n}]`);
  }
});

test('matmul follows IEEE arithmetic: 0·∞ is NaN, not skipped', () => {
  const a = Tensor.f32([1, 2], [0, 1]);
  const b = Tensor.f32([2, 1], [Infinity, 2]);
  assert.ok(Number.isNaN(runOp1(MatMul, [a, b], {}).get(0)));
});
