import type { Node, Value } from '../ir/graph.js';
import { Tensor } from '../ir/tensor.js';

/**
 * Structural identity of nodes for CSE: op definition, attribute values (tensors by content)
 * and operands (after `resolve`). `nodeKey` is a hash-like string that equal nodes share;
 * `nodesEqual` is the exact test for nodes with the same key.
 */
export function nodeKey(n: Node, resolve: (v: Value) => Value): string {
  const attrs = Object.entries(n.attrs as Record<string, unknown>).map(([k, v]) => `${k}=${attrKey(v)}`);
  return `${n.op.name}(${n.inputs.map((v) => resolve(v).id).join(',')}){${attrs.join(';')}}`;
}

export function nodesEqual(a: Node, b: Node, resolve: (v: Value) => Value): boolean {
  if (a.op !== b.op || a.inputs.length !== b.inputs.length) return false;
  if (!a.inputs.every((v, i) => resolve(v) === resolve(b.inputs[i]!))) return false;
  const aa = a.attrs as Record<string, unknown>;
  const ba = b.attrs as Record<string, unknown>;
  return Object.keys(aa).every((k) => attrEqual(aa[k], ba[k]));
}

function attrKey(v: unknown): string {
  if (v instanceof Tensor) return tensorDigest(v);
  if (Array.isArray(v)) return `[${v.map(scalarKey).join(',')}]`;
  return scalarKey(v);
}

function scalarKey(v: unknown): string {
  return Object.is(v, -0) ? '-0' : typeof v === 'string' ? JSON.stringify(v) : String(v);
}

function attrEqual(a: unknown, b: unknown): boolean {
  if (a instanceof Tensor || b instanceof Tensor) return a instanceof Tensor && b instanceof Tensor && tensorsIdentical(a, b);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => Object.is(x, b[i]));
  return Object.is(a, b);
}

/** Same dtype, shape and bytes (so NaNs with equal bits are equal and -0 differs from 0). */
export function tensorsIdentical(a: Tensor, b: Tensor): boolean {
  if (a === b) return true;
  if (a.dtype !== b.dtype || a.shape.length !== b.shape.length || !a.shape.every((d, i) => d === b.shape[i])) return false;
  const x = new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength);
  const y = new Uint8Array(b.data.buffer, b.data.byteOffset, b.data.byteLength);
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/**
 * dtype, shape and a hash of up to 64 evenly spaced elements: cheap for large weights, and
 * different for any two weights worth telling apart; `tensorsIdentical` settles the rest.
 */
function tensorDigest(t: Tensor): string {
  const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const n = t.size;
  const step = Math.max(1, Math.floor(n / 64));
  const width = t.data.BYTES_PER_ELEMENT;
  let h = 0x811c9dc5;
  for (let i = 0; i < n; i += step)
    for (let k = 0; k < width; k++) h = Math.imul(h ^ bytes[i * width + k]!, 0x01000193);
  return `${t.dtype}[${t.shape.join(',')}]#${(h >>> 0).toString(16)}`;
}
