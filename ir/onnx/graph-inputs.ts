import type { Dim } from '../dim.js';
import { VitcError } from '../errors.js';
import { type TensorType, tensorType } from '../types.js';
import type { OnnxValueInfo } from './schema.js';
import { dtypeFromOnnx } from './tensor-proto.js';

/** The one symbol vitc gives the model's dynamic (batch-like) axis. */
export const BATCH_SYMBOL = 'N';

/**
 * Types of the graph inputs. A `dim_param` (e.g. "batch") becomes the symbol N; vitc supports one
 * dynamic size, so a second distinct dim_param is an error, as are negative or missing dims.
 */
export function graphInputTypes(inputs: readonly OnnxValueInfo[], file: string): TensorType[] {
  let param: string | undefined;
  return inputs.map((vi) => {
    const name = vi.name!;
    const bad = (msg: string): never => {
      throw new VitcError(`graph input '${name}': ${msg}`, { file });
    };
    const tt = vi.type?.tensorType;
    if (!tt) return bad(vi.type ? 'only tensor inputs are supported' : 'no type');
    let dtype;
    try {
      dtype = dtypeFromOnnx(tt.elemType, 'it');
    } catch (e) {
      return bad((e as Error).message);
    }
    if (!tt.shape) return bad('no shape (vitc needs the rank and static sizes, or one symbolic size)');
    const shape = (tt.shape.dim ?? []).map((d, i): Dim => {
      if (d.dimParam !== undefined && d.dimParam !== '') {
        if (param !== undefined && param !== d.dimParam)
          bad(`dimension ${i} is '${d.dimParam}', a second symbolic size (vitc supports one; '${param}' is already ${BATCH_SYMBOL})`);
        param = d.dimParam;
        return BATCH_SYMBOL;
      }
      if (d.dimValue === undefined) return bad(`dimension ${i} has no size`);
      if (d.dimValue < 0) return bad(`dimension ${i} is negative (${d.dimValue})`);
      return d.dimValue;
    });
    return tensorType(dtype, shape);
  });
}
