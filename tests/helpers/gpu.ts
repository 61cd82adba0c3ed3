import { finalizeKernel } from '../../codegen/kernel-ir/rewrite.js';
import type { Kernel } from '../../codegen/kernel-ir/types.js';
import { renderWgsl } from '../../codegen/render/wgsl.js';

export type AdapterName = 'llvmpipe' | 'swiftshader';

/** A WebGPU device on one of the two CPU adapters (Dawn through the npm `webgpu` package). */
export async function cpuDevice(which: AdapterName): Promise<GPUDevice> {
  if (which === 'llvmpipe') process.env.EGL_PLATFORM ??= 'surfaceless';
  else process.env.VK_ICD_FILENAMES ??= '/usr/lib/chromium/vk_swiftshader_icd.json';
  const { create, globals } = (await import('webgpu')) as unknown as { create(o: string[]): GPU; globals: Record<string, unknown> };
  Object.assign(globalThis, globals);
  const gpu = create([which === 'llvmpipe' ? 'backend=opengl' : 'backend=vulkan']);
  const adapter = await gpu.requestAdapter(which === 'llvmpipe' ? ({ featureLevel: 'compatibility' } as GPURequestAdapterOptions) : {});
  if (!adapter) throw new Error(`no ${which} adapter: is the Debian package installed?`);
  const device = await adapter.requestDevice({
    requiredLimits: {
      maxComputeWorkgroupStorageSize: adapter.limits.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: adapter.limits.maxComputeInvocationsPerWorkgroup,
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      maxStorageBuffersPerShaderStage: adapter.limits.maxStorageBuffersPerShaderStage,
    },
  });
  // Dawn's instance must outlive the device: if V8 collects it, the device crashes (futex errors).
  Object.defineProperty(device, '__vitcInstance', { value: gpu });
  return device;
}

/**
 * Runs one kernel: buffer i gets `inputs[i]` (read buffers), the last buffer is the output,
 * returned as f32. Invalid WGSL or validation errors throw with the source attached.
 */
export async function runKernel(device: GPUDevice, kernel: Kernel, inputs: readonly (Float32Array | Int32Array)[]): Promise<Float32Array> {
  const k = finalizeKernel(kernel);
  const code = renderWgsl(k);
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ code });
  const messages = (await module.getCompilationInfo()).messages.filter((m) => m.type === 'error');
  if (messages.length > 0) throw new Error(`${messages.map((m) => `${m.lineNum}:${m.linePos}: ${m.message}`).join('\n')}\n${code}`);
  // Explicit layout: 'auto' would drop bindings the kernel declares but never reads.
  const bindGroupLayout = device.createBindGroupLayout({
    entries: k.buffers.map((b, binding) => ({ binding, visibility: GPUShaderStage.COMPUTE, buffer: { type: b.access === 'read' ? 'read-only-storage' : 'storage' } })),
  });
  const layout = device.createPipelineLayout({ bindGroupLayouts: [bindGroupLayout] });
  const pipeline = await device.createComputePipelineAsync({ layout, compute: { module, entryPoint: 'main' } }).catch((e: Error) => {
    throw new Error(`${e.message}\n${code}`);
  });
  const buffers = k.buffers.map((b, i) => {
    const bytes = Math.max(16, Math.ceil((b.length * b.vec * 4) / 16) * 16);
    const buf = device.createBuffer({ size: bytes, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC });
    const data = inputs[i];
    if (data) {
      const padded = new Uint8Array(bytes);
      padded.set(new Uint8Array(data.buffer, data.byteOffset, Math.min(data.byteLength, bytes)));
      device.queue.writeBuffer(buf, 0, padded);
    }
    return buf;
  });
  const bindGroup = device.createBindGroup({ layout: bindGroupLayout, entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })) });
  const out = buffers[buffers.length - 1]!;
  const read = device.createBuffer({ size: out.size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup);
  pass.dispatchWorkgroups(...k.grid);
  pass.end();
  enc.copyBufferToBuffer(out, 0, read, 0, out.size);
  device.queue.submit([enc.finish()]);
  const err = await device.popErrorScope();
  if (err) throw new Error(`${err.message}\n${code}`);
  await read.mapAsync(GPUMapMode.READ);
  const result = new Float32Array(read.getMappedRange().slice(0));
  read.unmap();
  for (const b of [...buffers, read]) b.destroy();
  return result;
}
