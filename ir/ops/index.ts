import { fail } from '../errors.js';
import type { OpDef } from '../op.js';
import { Const } from './const.js';
import * as elementwise from './elementwise.js';
import { MatMul } from './matmul.js';

export * from './const.js';
export * from './elementwise.js';
export * from './matmul.js';

/** Every op, keyed by its text name. */
export const OP_REGISTRY: ReadonlyMap<string, OpDef> = buildRegistry([Const, MatMul, ...Object.values(elementwise)]);

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
