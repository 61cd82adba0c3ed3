import { createRequire } from 'node:module';
import type { DType } from '../ir/dtype.js';
import { VitcError } from '../ir/errors.js';
import { Tensor } from '../ir/tensor.js';

/**
 * onnxruntime-node (native CPU) as the trusted numerical reference for ONNX models.
 * Loaded lazily: only `vitc verify` and the tests need it.
 */
type OrtModule = typeof import('onnxruntime-node');

const ORT_TYPES: Partial<Record<DType, string>> = { f32: 'float32', f16: 'float16', i64: 'int64', i32: 'int32', i8: 'int8', u8: 'uint8', bool: 'bool' };

function loadOrt(): OrtModule {
  try {
    return createRequire(import.meta.url)('onnxruntime-node') as OrtModule;
  } catch (e) {
    throw new VitcError(`onnxruntime-node is not available: ${(e as Error).message.split('\n')[0]}`);
  }
}

export interface OrtRunner {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(inputs: ReadonlyMap<string, Tensor>): Promise<Map<string, Tensor>>;
  release(): Promise<void>;
}

/** Opens an ONNX model (path, so external data next to it resolves) in onnxruntime-node. */
export async function openOrt(modelPath: string): Promise<OrtRunner> {
  const ort = loadOrt();
  let session: Awaited<ReturnType<OrtModule['InferenceSession']['create']>>;
  try {
    // 'extended', not 'all': the layout level reorders convolution sums (NCHWc kernels) enough to
    // move a deep EfficientViT's logits by up to 1.5e-5 from ORT's own unoptimized result (2e-5
    // from vitc's); up to 'extended', ORT gives exactly its unoptimized numbers on that model.
    session = await ort.InferenceSession.create(modelPath, { graphOptimizationLevel: 'extended', intraOpNumThreads: 1 });
  } catch (e) {
    throw new VitcError(`onnxruntime could not load the model: ${(e as Error).message.split('\n')[0]}`, { file: modelPath });
  }
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    async run(inputs) {
      const feeds: Record<string, InstanceType<OrtModule['Tensor']>> = {};
      for (const [name, t] of inputs) feeds[name] = toOrt(ort, t);
      const out = await session.run(feeds);
      const result = new Map<string, Tensor>();
      for (const name of session.outputNames) result.set(name, fromOrt(out[name]!));
      return result;
    },
    release: () => session.release(),
  };
}

function toOrt(ort: OrtModule, t: Tensor): InstanceType<OrtModule['Tensor']> {
  const type = ORT_TYPES[t.dtype];
  if (!type) throw new VitcError(`cannot pass ${t.dtype} tensors to onnxruntime`);
  let data: unknown = t.data;
  if (t.dtype === 'i64') data = BigInt64Array.from(t.data as Float64Array, (v) => BigInt(v));
  if (t.dtype === 'bool') data = Uint8Array.from(t.data);
  return new ort.Tensor(type as 'float32', data as Float32Array, [...t.shape]);
}

function fromOrt(v: { type: string; dims: readonly number[]; data: unknown }): Tensor {
  const shape = [...v.dims];
  switch (v.type) {
    case 'float32':
      return new Tensor('f32', shape, Float32Array.from(v.data as Float32Array));
    case 'float16':
      return new Tensor('f16', shape, Uint16Array.from(v.data as Uint16Array));
    case 'int64':
      return new Tensor('i64', shape, Float64Array.from(v.data as BigInt64Array, (x) => Number(x)));
    case 'int32':
      return new Tensor('i32', shape, Int32Array.from(v.data as Int32Array));
    case 'bool':
      return new Tensor('bool', shape, Uint8Array.from(v.data as Uint8Array, (x) => (x ? 1 : 0)));
    default:
      throw new VitcError(`onnxruntime returned an unsupported ${v.type} tensor`);
  }
}
