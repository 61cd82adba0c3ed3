import type { AttrSchema, AttrsIn } from '../ir/attrs.js';
import { GraphBuilder } from '../ir/builder.js';
import { type Dim, isStatic, parseSym, resolveShape } from '../ir/dim.js';
import { fail } from '../ir/errors.js';
import type { Graph, Node, Value } from '../ir/graph.js';
import { tensorType, typesEqual } from '../ir/types.js';
import { opt } from './options.js';
import { definePass } from './pass.js';

/**
 * Re-derives every result type through its op's inference, in graph order. With `batch=B` the
 * symbolic batch is bound to B first, in graph input types and in dims attributes (reshape
 * targets and the like), so every shape in the result is static.
 */
export const InferShapes = definePass({
  name: 'infer-shapes',
  summary: 're-infer all types; batch=B binds the symbolic batch to B',
  options: {
    batch: opt.optional('int', 'value to bind the symbolic batch dimension to', { min: 1 }),
  },
  requires: [],
  establishes: [{ property: 'static-shapes', whenOption: 'batch' }],
  preserves: ['static-shapes', 'no-dead-code', 'batchnorm-folded'],
  run: (g, o) => inferShapes(g, o.batch),
});

function inferShapes(g: Graph, batch: number | undefined): Graph {
  const env = new Map<string, number>();
  if (batch !== undefined) {
    const syms = symbolsOfGraph(g);
    if (syms.size > 1) fail(`batch=${batch} binds one symbolic dimension, but the graph has ${syms.size}: ${[...syms].join(', ')}`);
    for (const s of syms) env.set(s, batch);
  }
  const bind = (shape: readonly Dim[]) => (env.size ? resolveShape(shape, env) : shape);
  const b = new GraphBuilder(g.name, g.maxValueId() + 1);
  const map = new Map<Value, Value>();
  for (const v of g.inputs) map.set(v, b.input(v.name!, tensorType(v.type.dtype, bind(v.type.shape))));
  for (const n of g.nodes) {
    const outs = b.add(n.op, n.inputs.map((v) => map.get(v)!), bindAttrs(n, bind) as AttrsIn<AttrSchema>, {
      name: n.name,
      loc: n.loc,
      outNames: n.outputs.map((o) => o.name),
    });
    n.outputs.forEach((o, i) => map.set(o, outs[i]!));
  }
  b.setOutputs(g.outputs.map((o) => map.get(o)!));
  const changed = [...map].some(([before, after]) => !typesEqual(before.type, after.type)) || g.nodes.some((n) => bindAttrs(n, bind) !== n.attrs);
  return changed ? b.build() : g;
}

/** Attributes with symbolic dims bound; the same object when there is nothing to bind. */
function bindAttrs(n: Node, bind: (shape: readonly Dim[]) => readonly Dim[]): Node['attrs'] {
  let out: Record<string, unknown> | undefined;
  for (const [k, spec] of Object.entries(n.op.attrs)) {
    const v = (n.attrs as Record<string, unknown>)[k];
    if (spec.kind !== 'dims' || v === undefined || (v as readonly Dim[]).every(isStatic)) continue;
    const bound = bind(v as readonly Dim[]);
    if (bound === v) continue;
    out ??= { ...n.attrs };
    out[k] = bound;
  }
  return (out as Node['attrs'] | undefined) ?? n.attrs;
}

function symbolsOfGraph(g: Graph): Set<string> {
  const syms = new Set<string>();
  const scan = (shape: readonly Dim[]) => {
    for (const d of shape) if (!isStatic(d)) syms.add(parseSym(d).sym);
  };
  for (const v of g.inputs) scan(v.type.shape);
  for (const n of g.nodes) {
    for (const o of n.outputs) scan(o.type.shape);
    for (const [k, spec] of Object.entries(n.op.attrs)) {
      const v = (n.attrs as Record<string, unknown>)[k];
      if (spec.kind === 'dims' && v !== undefined) scan(v as readonly Dim[]);
    }
  }
  return syms;
}
