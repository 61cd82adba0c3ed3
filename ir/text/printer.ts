import type { AttrSpec } from '../attrs.js';
import { halfToFloat } from '../dtype.js';
import { VitcError } from '../errors.js';
import { type Graph, isOp, type Node, type Value } from '../graph.js';
import { Const } from '../ops/index.js';
import type { Tensor } from '../tensor.js';
import { type TensorType, typeToString } from '../types.js';
import { formatFloat } from './float-format.js';
import { quoteName, valueText } from './names.js';
import { weightsPathProblem } from './weights-path.js';

export interface PrintOptions {
  /** Tensors with at most this many elements print inline as `dense<...>`; default 16. */
  readonly inlineLimit?: number;
  /** The `weights "..."` path written when some tensor goes out of line; default `<graph name>.safetensors`. */
  readonly weightsFile?: string;
}

export interface PrintedGraph {
  readonly text: string;
  /** Out-of-line tensors by key, to be written to the weights file. */
  readonly weights: Map<string, Tensor>;
}

export const DEFAULT_INLINE_LIMIT = 16;

/** Prints a graph in the text IR; `parseGraph` reads it back to a graph that prints identically. */
export function printGraph(g: Graph, opts: PrintOptions = {}): PrintedGraph {
  const weights = new WeightTable();
  const limit = opts.inlineLimit ?? DEFAULT_INLINE_LIMIT;
  const body = g.nodes.map((n) => `  ${printNode(n, limit, weights)}`);
  body.push(`  return${g.outputs.length ? ` ${g.outputs.map(valueText).join(', ')}` : ''}`);
  const params = g.inputs.map((v) => `${valueText(v)}: ${typeToString(v.type)}`).join(', ');
  let header = `graph @${quoteName(g.name)}(${params})`;
  if (weights.tensors.size > 0) {
    const file = opts.weightsFile ?? defaultWeightsFile(g.name);
    const problem = weightsPathProblem(file);
    if (problem) throw new VitcError(problem);
    header += ` weights ${JSON.stringify(file)}`;
  }
  return { text: `${header} {\n${body.join('\n')}\n}\n`, weights: weights.tensors };
}

function defaultWeightsFile(graphName: string): string {
  return /^[A-Za-z0-9_.-]+$/.test(graphName) && !/^\.+$/.test(graphName) ? `${graphName}.safetensors` : 'weights.safetensors';
}

/** Keys of out-of-line tensors: unique, and shared by nodes that hold the very same tensor. */
class WeightTable {
  readonly tensors = new Map<string, Tensor>();
  readonly #keyOf = new Map<Tensor, string>();

  key(t: Tensor, wanted: string): string {
    const known = this.#keyOf.get(t);
    if (known !== undefined) return known;
    let key = wanted;
    for (let i = 1; this.tensors.has(key); i++) key = `${wanted}.${i}`;
    this.tensors.set(key, t);
    this.#keyOf.set(t, key);
    return key;
  }
}

function printNode(n: Node, limit: number, weights: WeightTable): string {
  const base = baseKey(n.outputs[0]);
  let s = `${n.outputs.map(valueText).join(', ')} = ${n.op.name}`;
  if (isOp(n, Const)) s += ` ${printPayload(n.attrs.value, limit, weights, base)}`;
  else s += `(${n.inputs.map(valueText).join(', ')})`;
  const attrs: string[] = [];
  for (const [key, spec] of Object.entries(n.op.attrs)) {
    if (isOp(n, Const) && key === 'value') continue;
    const v = (n.attrs as Record<string, unknown>)[key];
    if (v === undefined || (spec.default !== undefined && sameValue(v, spec.default))) continue;
    attrs.push(`${key} = ${printAttr(spec, v, limit, weights, `${base}.${key}`)}`);
  }
  if (attrs.length) s += ` {${attrs.join(', ')}}`;
  if (n.outputs.length) s += ` : ${n.outputs.map((o) => typeToString(o.type)).join(', ')}`;
  if (n.name !== undefined) s += ` loc(${JSON.stringify(n.name)})`;
  return s;
}

function baseKey(v: Value | undefined): string {
  return v === undefined ? 'c' : (v.name ?? `c${v.id}`);
}

/** Equality for omitting defaults: exact, so -0 and NaN are never confused with 0 or each other. */
function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => Object.is(x, b[i]));
  return Object.is(a, b);
}

function printAttr(spec: AttrSpec, v: unknown, limit: number, weights: WeightTable, key: string): string {
  switch (spec.kind) {
    case 'int':
    case 'bool':
    case 'dtype':
      return String(v);
    case 'float':
      return formatFloat(v as number, 'f64');
    case 'string':
      return JSON.stringify(v);
    case 'ints':
    case 'dims':
      return `[${(v as readonly (number | string)[]).join(', ')}]`;
    case 'floats':
      return `[${(v as readonly number[]).map((x) => formatFloat(x, 'f64')).join(', ')}]`;
    case 'tensor': {
      const t = v as Tensor;
      return `${printPayload(t, limit, weights, key)} : ${typeToString(tensorTypeOf(t))}`;
    }
  }
}

function tensorTypeOf(t: Tensor): TensorType {
  return { dtype: t.dtype, shape: t.shape };
}

function printPayload(t: Tensor, limit: number, weights: WeightTable, key: string): string {
  if (t.size > limit) return `@${JSON.stringify(weights.key(t, key))}`;
  const items = Array.from({ length: t.size }, (_, i) => printElement(t, i));
  return `dense<${t.rank === 0 ? items[0] : `[${items.join(', ')}]`}>`;
}

function printElement(t: Tensor, i: number): string {
  const v = t.data[i]!;
  switch (t.dtype) {
    case 'f32':
      return formatFloat(v, 'f32');
    case 'f16':
      return formatFloat(halfToFloat(v), 'f16');
    case 'bool':
      return v ? 'true' : 'false';
    default:
      return String(v);
  }
}
