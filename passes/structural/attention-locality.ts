import type { Graph, Node, Value } from '../../ir/graph.js';
import type { Tensor } from '../../ir/tensor.js';
import { broadcastOffsets } from '../../runtime/reference/kernels/broadcast.js';
import { numbersOf } from '../../runtime/reference/kernels/storage.js';
import { runReference } from '../../runtime/reference/interpreter.js';
import { type Grid, tapOffset } from './spvit-fold.js';

/**
 * How local each head of an attention layer is on calibration inputs: for every head, the mean
 * (over calibration images and patch queries) of the attention probability that falls on each
 * of the 9 tokens of the query's 3x3 neighbourhood. Taps off the grid count as 0.
 */
export interface LayerLocality {
  /** [head][tap] mean attention mass. */
  readonly mass: readonly Float64Array[];
}

/** Runs the graph on every calibration input and measures the attention of `layers` (with their grids). */
export function measureLocality(g: Graph, layers: readonly { node: Node; grid: Grid }[], calibration: readonly ReadonlyMap<string, Tensor>[]): LayerLocality[] {
  const wanted = new Map<Value, Tensor | undefined>();
  for (const { node } of layers) for (const v of node.inputs) wanted.set(v, undefined);
  const sums = layers.map(({ node }) => Array.from({ length: node.inputs[0]!.type.shape[1] as number }, () => new Float64Array(9)));
  const queries = layers.map(() => 0);
  for (const inputs of calibration) {
    for (const v of g.inputs) if (wanted.has(v)) wanted.set(v, inputs.get(v.name!));
    runReference(g, inputs, {
      onNode: (n, outs) => n.outputs.forEach((o, i) => wanted.has(o) && wanted.set(o, outs[i])),
    });
    layers.forEach(({ node, grid }, l) => {
      const [q, k, , bias] = node.inputs.map((v) => wanted.get(v));
      queries[l] += accumulate(sums[l]!, q!, k!, bias, (node.attrs as { scale: number }).scale, grid);
    });
  }
  return sums.map((heads, l) => ({ mass: heads.map((s) => s.map((x) => x / Math.max(queries[l]!, 1))) }));
}

/** Adds one run's attention mass per head and tap into `sums`; returns the number of (image, query) pairs. */
function accumulate(sums: Float64Array[], q: Tensor, k: Tensor, bias: Tensor | undefined, scale: number, grid: Grid): number {
  const [bn, h, t, d] = q.shape as [number, number, number, number];
  const qs = numbersOf(q);
  const ks = numbersOf(k);
  const bs = bias ? numbersOf(bias) : undefined;
  const bOff = bias ? broadcastOffsets(bias.shape, [bn, h, t, t]) : undefined;
  const { prefix, side } = grid;
  const p = new Float64Array(t);
  for (let b = 0; b < bn; b++)
    for (let hh = 0; hh < h; hh++) {
      const base = (b * h + hh) * t;
      for (let y = 0; y < side; y++)
        for (let x = 0; x < side; x++) {
          const qi = prefix + y * side + x;
          let max = -Infinity;
          for (let m = 0; m < t; m++) {
            let s = 0;
            for (let i = 0; i < d; i++) s += qs[(base + qi) * d + i]! * ks[(base + m) * d + i]!;
            s = s * scale + (bs ? bs[bOff![(base + qi) * t + m]!]! : 0);
            p[m] = s;
            max = Math.max(max, s);
          }
          let z = 0;
          for (let m = 0; m < t; m++) z += p[m] = Math.exp(p[m]! - max);
          for (let tap = 0; tap < 9; tap++) {
            const [dy, dx] = tapOffset(tap);
            const yy = y + dy;
            const xx = x + dx;
            if (yy >= 0 && yy < side && xx >= 0 && xx < side) sums[hh]![tap] += p[prefix + yy * side + xx]! / z;
          }
        }
    }
  return bn * side * side;
}
