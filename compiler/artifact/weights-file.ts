import { encodeSafetensors } from '../../ir/safetensors.js';
import { Tensor } from '../../ir/tensor.js';
import type { WebGpuCompileResult } from '../compile-webgpu.js';

/**
 * weights.safetensors of an artifact: one tensor per weight of the plan, under the plan's key, with
 * its real dtype and shape. The plan's weight slices are rounded up to 16 bytes; the loader pads
 * the tensors back to them, so the file holds only the values.
 */
export function weightsSafetensors(compiled: WebGpuCompileResult, metadata: Readonly<Record<string, string>>): Uint8Array {
  const { plan, kernelPlan } = compiled;
  // emitWebGpu lists the plan's weights in the order of the kernel plan's weight buffers.
  const buffers = kernelPlan.buffers.filter((b) => b.kind === 'weight');
  if (buffers.length !== plan.weights.length) {
    throw new Error(`the plan has ${plan.weights.length} weights but the kernel plan ${buffers.length} weight buffers`);
  }
  const tensors = new Map<string, Tensor>();
  plan.weights.forEach((w, i) => {
    const b = buffers[i]!;
    const bytes = compiled.weights.get(w.key);
    const valueBytes = b.elements * 4;
    if (!bytes || bytes.byteLength !== w.size || valueBytes > w.size) {
      throw new Error(`weight ${w.key}: ${bytes?.byteLength ?? 'no'} bytes for a ${w.size}-byte slice of ${b.elements} ${b.dtype} values`);
    }
    const copy = bytes.slice(0, valueBytes);
    const data = b.dtype === 'f32' ? new Float32Array(copy.buffer) : new Int32Array(copy.buffer);
    const shape = b.data && b.data.size === b.elements ? b.data.shape : [b.elements];
    tensors.set(w.key, new Tensor(b.dtype, shape, data));
  });
  return encodeSafetensors(tensors, metadata);
}
