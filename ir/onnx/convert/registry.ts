import { VitcError } from '../../errors.js';
import { ELEMENTWISE_CONVERTERS } from './elementwise.js';
import { MATMUL_CONVERTERS } from './matmul.js';
import { NN_CONVERTERS } from './nn.js';
import { SHAPE_CONVERTERS } from './shape.js';
import type { ConvertFn, ConverterTable } from './types.js';

function merge(tables: readonly ConverterTable[]): ReadonlyMap<string, ConvertFn> {
  const m = new Map<string, ConvertFn>();
  for (const t of tables)
    for (const [op, fn] of Object.entries(t)) {
      if (m.has(op)) throw new VitcError(`two converters for ONNX op '${op}'`);
      m.set(op, fn);
    }
  return m;
}

/** ONNX op_type → converter, for the default domain, opsets 13–18. */
export const CONVERTERS: ReadonlyMap<string, ConvertFn> = merge([ELEMENTWISE_CONVERTERS, SHAPE_CONVERTERS, NN_CONVERTERS, MATMUL_CONVERTERS]);

export function supportedOnnxOps(): string[] {
  return [...CONVERTERS.keys()].sort();
}
