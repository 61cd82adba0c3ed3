import { attr } from '../attrs.js';
import { allocStorage } from '../dtype.js';
import { fail } from '../errors.js';
import { defineOp } from '../op.js';
import { stridesOf, Tensor } from '../tensor.js';
import { tensorType } from '../types.js';
import { gatherCopy, stridedOffsets } from '../../runtime/reference/kernels/gather-copy.js';

function checkPerm(perm: readonly number[], rank: number): void {
  const seen = new Set(perm);
  if (perm.length !== rank || seen.size !== rank || perm.some((p) => !(p >= 0 && p < rank)))
    fail(`'transpose' perm [${perm.join(',')}] is not a permutation of the ${rank} axes`);
}

/** Permutes axes: result axis i is x's axis perm[i]. */
export const Transpose = defineOp({
  name: 'transpose',
  summary: 'permute axes',
  attrs: { perm: attr.ints() },
  inputs: ['x'],
  outputs: 1,
  traits: { layout: true },
  infer: ([x], a) => {
    checkPerm(a.perm, x!.shape.length);
    return [tensorType(x!.dtype, a.perm.map((p) => x!.shape[p]!))];
  },
  reference: ([x], a) => {
    checkPerm(a.perm, x!.rank);
    const src = stridesOf(x!.shape);
    const shape = a.perm.map((p) => x!.shape[p]!);
    const out = allocStorage(x!.dtype, x!.size);
    gatherCopy(x!.data, shape, a.perm.map((p, i) => stridedOffsets(shape[i]!, 0, 1, src[p]!)), 0, out);
    return [new Tensor(x!.dtype, shape, out)];
  },
});
