import assert from 'node:assert/strict';
import type { Graph, Value } from '../../../ir/graph.js';
import { Tensor } from '../../../ir/tensor.js';

/** Bytes of a tensor as stored, so NaN payloads, -0 and f16 bits are compared exactly. */
export function tensorBytes(t: Tensor): number[] {
  return [...new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)];
}

export function assertTensorsIdentical(a: Tensor, b: Tensor, what: string): void {
  assert.equal(a.dtype, b.dtype, `${what}: dtype`);
  assert.deepEqual([...a.shape], [...b.shape], `${what}: shape`);
  assert.deepEqual(tensorBytes(a), tensorBytes(b), `${what}: data`);
}

function valueKey(v: Value): string {
  return v.name !== undefined ? `name:${v.name}` : `id:${v.id}`;
}

/**
 * Structural equality of two graphs, written independently of the printer: names (or ids of
 * anonymous values), types, ops, attributes (tensors bit for bit) and node names.
 */
export function assertGraphsEquivalent(a: Graph, b: Graph): void {
  assert.equal(a.name, b.name);
  const sameValues = (x: readonly Value[], y: readonly Value[], what: string): void => {
    assert.deepEqual(x.map(valueKey), y.map(valueKey), `${what}: names`);
    assert.deepEqual(
      x.map((v) => v.type),
      y.map((v) => v.type),
      `${what}: types`,
    );
  };
  sameValues(a.inputs, b.inputs, 'inputs');
  assert.equal(a.nodes.length, b.nodes.length, 'node count');
  a.nodes.forEach((n, i) => {
    const m = b.nodes[i]!;
    const what = `node ${i} (${n.op.name})`;
    assert.equal(n.op, m.op, what);
    assert.equal(n.name, m.name, `${what}: name`);
    sameValues(n.inputs, m.inputs, `${what} operands`);
    sameValues(n.outputs, m.outputs, `${what} results`);
    assert.deepEqual(Object.keys(n.attrs).sort(), Object.keys(m.attrs).sort(), `${what}: attribute keys`);
    for (const [k, v] of Object.entries(n.attrs)) {
      const w = (m.attrs as Record<string, unknown>)[k];
      if (v instanceof Tensor) assertTensorsIdentical(v, w as Tensor, `${what} attribute ${k}`);
      else assert.deepEqual(w, v, `${what}: attribute ${k}`);
    }
  });
  sameValues(a.outputs, b.outputs, 'outputs');
}
