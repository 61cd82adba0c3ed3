import { isOp } from '../../ir/graph.js';
import { Add } from '../../ir/ops/elementwise.js';
import { MatMul } from '../../ir/ops/matmul.js';
import { Tensor } from '../../ir/tensor.js';
import { numbersOf } from '../../runtime/reference/kernels/storage.js';
import { bnAffine } from '../fold-batchnorm.js';
import type { RewritePattern } from '../rewrite.js';

/**
 * A batch_norm over [M, C] whose only user is x·W (W constant [C, K]) folds into the matmul
 * after it (fold-batchnorm folds into the layer before): (x·s + t)·W = x·(diag(s)·W) + t·W.
 * EfficientViT's classifier (BatchNorm1d then Linear) is the case.
 */
export const BATCHNORM_INTO_NEXT_LINEAR: RewritePattern = {
  name: 'batch_norm into the following linear layer',
  match(n, site) {
    if (!isOp(n, MatMul)) return undefined;
    const bnValue = n.inputs[0]!;
    const bn = site.hasSingleUse(bnValue) ? site.graph.producer(bnValue) : undefined;
    const w = site.constantOf(n.inputs[1]!);
    if (!bn || !w || w.rank !== 2 || bnValue.type.shape.length !== 2) return undefined;
    const affine = bnAffine(bn, site);
    const [c, k] = w.shape as [number, number];
    if (!affine || affine.scale.length !== c) return undefined;
    const wv = numbersOf(w);
    const scaled = new Float64Array(c * k);
    const bias = new Float64Array(k);
    for (let i = 0; i < c; i++)
      for (let j = 0; j < k; j++) {
        scaled[i * k + j] = affine.scale[i]! * wv[i * k + j]!;
        bias[j] += affine.shift[i]! * wv[i * k + j]!;
      }
    const product = site.add1(MatMul, [bn.inputs[0]!, site.constant(Tensor.f32([c, k], scaled))], {}, { name: n.name, loc: n.loc });
    return [site.add1(Add, [product, site.constant(Tensor.f32([k], bias))], {})];
  },
};
