import type { GraphBuilder } from '../../ir/builder.js';
import { type Dim, dimDiv, dimMul, dimProduct, parseSym, shapesEqual } from '../../ir/dim.js';
import type { Value } from '../../ir/graph.js';
import { Log } from '../../ir/ops/elementwise.js';
import { Expand, Reshape } from '../../ir/ops/reshape.js';
import { Transpose } from '../../ir/ops/transpose.js';
import type { AttentionLayout } from './blocks.js';
import { PROBE } from './factor.js';

/** The batch's axis among the leading axes split as [before..., outer, B, inner, after...]. */
interface LeadSplit {
  readonly axis: number;
  readonly outer: Dim;
  readonly inner: Dim;
}

function leadSplit(l: AttentionLayout): LeadSplit | undefined {
  if (!l.batch) return undefined;
  const inner = fromProbe(l.batch.inner, l.batchSize);
  const outer = dimDiv(l.lead[l.batch.axis]!, dimMul(l.batchSize, inner));
  return { axis: l.batch.axis, outer, inner };
}

/** A probe-unit count back as a dim (the probe stands for the batch's symbol). */
function fromProbe(n: number, batch: Dim): Dim {
  if (n % PROBE !== 0 || typeof batch === 'number') return n;
  return dimMul(n / PROBE, parseSym(batch).sym);
}

/**
 * An attention-layout tensor [lead..., rest...] as [B, H, rest...]: the batch first, every other
 * leading factor (the heads) merged into H. Reshapes and a transpose; free in the planner.
 */
export function perImage(b: GraphBuilder, v: Value, l: AttentionLayout): Value {
  const shape = v.type.shape;
  const nl = l.lead.length;
  const rest = shape.slice(nl);
  const s = leadSplit(l);
  if (!s) return b.add1(Reshape, [v], { shape: [1, dimProduct(l.lead), ...rest] });
  const dims: Dim[] = [];
  let batchAt = -1;
  l.lead.forEach((d, a) => {
    if (a !== s.axis) return void dims.push(d);
    if (s.outer !== 1) dims.push(s.outer);
    batchAt = dims.length;
    dims.push(l.batchSize);
    if (s.inner !== 1) dims.push(s.inner);
  });
  let x = dims.length === nl ? v : b.add1(Reshape, [v], { shape: [...dims, ...rest] });
  if (batchAt !== 0) {
    const perm = [batchAt, ...[...dims.keys()].filter((a) => a !== batchAt), ...rest.map((_, i) => dims.length + i)];
    x = b.add1(Transpose, [x], { perm });
  }
  const target = [l.batchSize, dimProduct(dims.filter((_, a) => a !== batchAt)), ...rest];
  return shapesEqual(x.type.shape, target) ? x : b.add1(Reshape, [x], { shape: target });
}

/**
 * Proportional attention's bias: log(size) of each key token, [B, T', 1] laid out to broadcast
 * against attention scores [lead..., Tq, T'] (1 on every other axis).
 */
export function sizeBias(b: GraphBuilder, size: Value, l: AttentionLayout): Value {
  const [batch, t] = size.type.shape as [Dim, number];
  const ls = b.add1(Log, [b.add1(Reshape, [size], { shape: [batch, t] })], {});
  const nl = l.lead.length;
  const s = leadSplit(l);
  if (!s) return b.add1(Reshape, [ls], { shape: [...new Array<Dim>(nl).fill(1), 1, t] });
  let x = ls;
  if (s.outer !== 1 || s.inner !== 1) {
    x = b.add1(Reshape, [x], { shape: [1, batch, 1, t] });
    x = b.add1(Expand, [x], { shape: [s.outer, batch, s.inner, t] });
  }
  return b.add1(Reshape, [x], { shape: l.lead.map((d, a) => (a === s.axis ? d : 1)).concat([1, t]) });
}
