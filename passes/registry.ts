import { fail } from '../ir/errors.js';
import { Canonicalize } from './canonicalize.js';
import { Cse } from './cse.js';
import { Dce } from './dce.js';
import { FoldBatchNorm } from './fold-batchnorm.js';
import { FoldConstants } from './fold-constants.js';
import { FuseAttention } from './fuse-attention.js';
import { InferShapes } from './infer-shapes.js';
import type { PassDef } from './pass.js';
import { Ppt } from './ppt.js';
import { Tome } from './tome.js';

export type PassRegistry = ReadonlyMap<string, PassDef>;

/** Every pass, keyed by its pipeline name. A new pass is one file plus one line here. */
export const PASS_REGISTRY: PassRegistry = buildPassRegistry([InferShapes, Canonicalize, FoldConstants, Cse, Dce, FoldBatchNorm, FuseAttention, Tome, Ppt]);

export function buildPassRegistry(passes: readonly PassDef[]): PassRegistry {
  const m = new Map<string, PassDef>();
  for (const p of passes) {
    if (m.has(p.name)) fail(`duplicate pass name '${p.name}'`);
    for (const e of p.establishes)
      if (typeof e !== 'string' && !Object.hasOwn(p.options, e.whenOption))
        fail(`pass '${p.name}' establishes '${e.property}' when option '${e.whenOption}' is given, but has no such option`);
    m.set(p.name, p);
  }
  return m;
}
