import { fail } from '../errors.js';
import type { OpDef } from '../op.js';
import { Attention } from './attention.js';
import * as concat from './concat.js';
import { Const } from './const.js';
import * as conv from './conv.js';
import * as elementwise from './elementwise.js';
import * as gather from './gather.js';
import * as gatherElements from './gather-elements.js';
import * as generate from './generate.js';
import * as identity from './identity.js';
import { MatMul } from './matmul.js';
import * as norm from './norm.js';
import { Pad } from './pad.js';
import * as pool from './pool.js';
import * as reduce from './reduce.js';
import * as reshape from './reshape.js';
import { Slice } from './slice.js';
import { Softmax } from './softmax.js';
import { Tile } from './tile.js';
import { TopK } from './top-k.js';
import { Transpose } from './transpose.js';

export * from './attention.js';
export * from './concat.js';
export * from './const.js';
export * from './conv.js';
export * from './elementwise.js';
export * from './gather.js';
export * from './gather-elements.js';
export * from './generate.js';
export * from './identity.js';
export * from './matmul.js';
export * from './norm.js';
export * from './pad.js';
export * from './pool.js';
export * from './reduce.js';
export * from './reshape.js';
export * from './slice.js';
export * from './softmax.js';
export * from './tile.js';
export * from './top-k.js';
export * from './transpose.js';

/** Every op, keyed by its text name. */
export const OP_REGISTRY: ReadonlyMap<string, OpDef> = buildRegistry([
  Const,
  MatMul,
  Attention,
  Softmax,
  Transpose,
  Slice,
  Pad,
  Tile,
  TopK,
  ...Object.values(elementwise),
  ...Object.values(identity),
  ...Object.values(conv),
  ...Object.values(pool),
  ...Object.values(norm),
  ...Object.values(reduce),
  ...Object.values(reshape),
  ...Object.values(concat),
  ...Object.values(gather),
  ...Object.values(gatherElements),
  ...Object.values(generate),
]);

function buildRegistry(ops: readonly unknown[]): Map<string, OpDef> {
  const m = new Map<string, OpDef>();
  for (const op of ops as OpDef[]) {
    if (m.has(op.name)) fail(`duplicate op name '${op.name}'`);
    m.set(op.name, op);
  }
  return m;
}

export function lookupOp(name: string): OpDef | undefined {
  return OP_REGISTRY.get(name);
}
