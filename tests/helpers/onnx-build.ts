import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DType } from '../../ir/dtype.js';
import { modelProtoType, OnnxAttrType, type OnnxAttribute, type OnnxModel, type OnnxTensor } from '../../ir/onnx/schema.js';
import { dtypeToOnnx } from '../../ir/onnx/tensor-proto.js';
import { Tensor } from '../../ir/tensor.js';

/**
 * Builds small ONNX models for tests: single-op models compared against onnxruntime, and
 * deliberately malformed ones. Encodes with vitc's own protobuf schema.
 */

/** Typed attribute values (ONNX distinguishes INT from FLOAT, so numbers are tagged). */
export const a = {
  int: (i: number): OnnxAttribute => ({ type: OnnxAttrType.INT, i }),
  float: (f: number): OnnxAttribute => ({ type: OnnxAttrType.FLOAT, f }),
  string: (s: string): OnnxAttribute => ({ type: OnnxAttrType.STRING, s: Buffer.from(s, 'utf8') }),
  ints: (ints: readonly number[]): OnnxAttribute => ({ type: OnnxAttrType.INTS, ints: [...ints] }),
  floats: (floats: readonly number[]): OnnxAttribute => ({ type: OnnxAttrType.FLOATS, floats: [...floats] }),
  tensor: (t: Tensor): OnnxAttribute => ({ type: OnnxAttrType.TENSOR, t: tensorProto('', t) }),
};

export interface NodeSpec {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly name?: string;
  readonly attrs?: Readonly<Record<string, OnnxAttribute>>;
  readonly domain?: string;
}

export interface ValueSpec {
  readonly name: string;
  readonly dtype: DType;
  /** Dims: numbers, or strings for dim_param. Omitted: no shape. */
  readonly shape?: readonly (number | string)[];
}

export interface InitializerSpec {
  readonly name: string;
  readonly tensor: Tensor;
  /** Store the data in an external file instead of raw_data. */
  readonly external?: { readonly location: string; readonly offset?: number; readonly length?: number };
}

export interface ModelSpec {
  readonly nodes: readonly NodeSpec[];
  readonly inputs: readonly ValueSpec[];
  readonly outputs: readonly ValueSpec[];
  readonly initializers?: readonly InitializerSpec[];
  /** Default-domain opset (default 17). */
  readonly opset?: number;
  readonly irVersion?: number;
  readonly extraOpsets?: readonly { readonly domain: string; readonly version: number }[];
  readonly name?: string;
}

/** A TensorProto with the data in raw_data (little-endian, as ONNX stores it). */
export function tensorProto(name: string, t: Tensor): OnnxTensor {
  return { name, dims: [...t.shape], dataType: dtypeToOnnx(t.dtype), rawData: t.toBytes().slice() };
}

function valueInfo(v: ValueSpec) {
  const tensorType: Record<string, unknown> = { elemType: dtypeToOnnx(v.dtype) };
  if (v.shape) tensorType.shape = { dim: v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) };
  return { name: v.name, type: { tensorType } };
}

/** The model as a plain object in the decoded-message shape. */
export function modelObject(spec: ModelSpec): OnnxModel {
  return {
    irVersion: spec.irVersion ?? 8,
    producerName: 'vitc-tests',
    opsetImport: [{ domain: '', version: spec.opset ?? 17 }, ...(spec.extraOpsets ?? [])],
    graph: {
      name: spec.name ?? 'test',
      node: spec.nodes.map((n, i) => ({
        name: n.name ?? `${n.op}_${i}`,
        opType: n.op,
        domain: n.domain ?? '',
        input: [...n.inputs],
        output: [...n.outputs],
        attribute: Object.entries(n.attrs ?? {}).map(([name, at]) => ({ ...at, name })),
      })),
      initializer: (spec.initializers ?? []).map((i) => {
        const p = tensorProto(i.name, i.tensor);
        if (!i.external) return p;
        const e = i.external;
        const entries = [{ key: 'location', value: e.location }];
        if (e.offset !== undefined) entries.push({ key: 'offset', value: String(e.offset) });
        if (e.length !== undefined) entries.push({ key: 'length', value: String(e.length) });
        return { name: p.name, dims: p.dims, dataType: p.dataType, dataLocation: 1, externalData: entries };
      }),
      input: spec.inputs.map(valueInfo),
      output: spec.outputs.map(valueInfo),
    },
  };
}

/** Encodes a model object (possibly deliberately malformed) to ModelProto bytes. */
export function encodeModel(model: object): Uint8Array {
  const type = modelProtoType();
  return type.encode(type.fromObject(model)).finish();
}

export function buildModel(spec: ModelSpec): Uint8Array {
  return encodeModel(modelObject(spec));
}

/** A fresh scratch folder for test models (under the OS temp folder). */
export function scratchDir(prefix = 'vitc-onnx-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes bytes to dir/name (creating folders) and returns the path. */
export function writeFile(dir: string, name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, bytes);
  return path;
}

/** One-node model: inputs and outputs named after the node's. */
export function singleNode(
  op: string,
  inputs: readonly ValueSpec[],
  outputs: readonly ValueSpec[],
  opts: { attrs?: Readonly<Record<string, OnnxAttribute>>; initializers?: readonly InitializerSpec[]; opset?: number; nodeInputs?: readonly string[] } = {},
): ModelSpec {
  const nodeInputs = opts.nodeInputs ?? [...inputs.map((i) => i.name), ...(opts.initializers ?? []).map((i) => i.name)];
  return {
    nodes: [{ op, inputs: nodeInputs, outputs: outputs.map((o) => o.name), attrs: opts.attrs, name: op.toLowerCase() }],
    inputs,
    outputs,
    initializers: opts.initializers,
    opset: opts.opset,
  };
}

/** Shorthand for an int64 1-D constant initializer. */
export function i64(name: string, values: readonly number[], shape: readonly number[] = [values.length]): InitializerSpec {
  return { name, tensor: Tensor.fromNumbers('i64', shape, values) };
}

/** Shorthand for a float32 initializer. */
export function f32(name: string, shape: readonly number[], values: ArrayLike<number>): InitializerSpec {
  return { name, tensor: Tensor.f32(shape, values) };
}
