import type { AttrSchema, ResolvedAttrs } from '../ir/attrs.js';
import { allStatic, numel } from '../ir/dim.js';
import { DTYPE_BYTES } from '../ir/dtype.js';
import { VitcError } from '../ir/errors.js';
import { isOp, type Value } from '../ir/graph.js';
import { Const } from '../ir/ops/const.js';
import type { Tensor } from '../ir/tensor.js';
import { opt } from './options.js';
import { definePass, type PassContext } from './pass.js';
import { symbolicDimsAttr } from './properties.js';
import { rewriteGraph, type RewritePattern } from './rewrite.js';

/**
 * Constant folding: a node whose operands are all constants is evaluated with its op's reference
 * implementation and replaced by const nodes. Results over `max-bytes` stay unfolded, so an
 * expand or tile of a small constant never turns into megabytes of weights.
 */
export const FoldConstants = definePass({
  name: 'fold-constants',
  summary: 'evaluate nodes whose operands are all constants',
  options: {
    'max-bytes': opt.int('largest folded result in bytes', { default: 4 * 1024 * 1024, min: 0 }),
  },
  requires: [],
  establishes: ['constants-folded', 'no-dead-code'],
  preserves: ['static-shapes'],
  run: (g, o, ctx) => rewriteGraph(g, [foldPattern(o['max-bytes'], ctx)]),
});

function foldPattern(maxBytes: number, ctx: PassContext): RewritePattern {
  // Remark once per value, not once per sweep.
  const remarked = new Set<Value>();
  const remark = (v: Value, m: string) => {
    if (remarked.has(v)) return;
    remarked.add(v);
    ctx.remark(m);
  };
  return {
    name: 'fold-constant',
    match(n, site) {
      if (isOp(n, Const)) return undefined;
      const operands: Tensor[] = [];
      for (const v of n.inputs) {
        const t = site.constantOf(v);
        if (!t) return undefined;
        operands.push(t);
      }
      if (symbolicDimsAttr(n) !== undefined || !n.outputs.every((o) => allStatic(o.type.shape))) return undefined;
      const bytes = n.outputs.reduce((s, o) => s + numel(o.type.shape) * DTYPE_BYTES[o.type.dtype], 0);
      if (bytes > maxBytes) {
        remark(n.outputs[0]!, `not folding '${n.op.name}' defining %${n.outputs[0]!.name ?? n.outputs[0]!.id}: ${bytes} bytes exceed max-bytes=${maxBytes}`);
        return undefined;
      }
      let results: Tensor[];
      try {
        results = n.op.reference(operands, n.attrs as ResolvedAttrs<AttrSchema>);
      } catch (e) {
        if (!(e instanceof VitcError)) throw e;
        // Left for run time, where the same error will name the node.
        remark(n.outputs[0]!, `not folding '${n.op.name}': ${e.message}`);
        return undefined;
      }
      return results.map((t, i) => site.constant(t, n.outputs[i]!.name));
    },
  };
}
