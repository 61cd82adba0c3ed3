import { performance } from 'node:perf_hooks';
import { targetLimitsOf } from '../../codegen/schedule/limits.js';
import { compileWebGpu } from '../../compiler/compile-webgpu.js';
import { VitcError } from '../../ir/errors.js';
import { importOnnxFile } from '../../ir/onnx/import.js';
import { Tensor } from '../../ir/tensor.js';
import { requestDeviceFor } from '../../runtime/webgpu/device-request.js';
import { createExecutor, type RunInputs } from '../../runtime/webgpu/executor.js';
import { describeAdapter, type AdapterSource } from './dawn-adapters.js';
import type { Participant, PreparedRun, Tensors } from './harness.js';

/*
 * vitc as a bench participant: the ONNX file is imported, lowered and compiled to WGSL for the
 * adapter's limits (compileMs), then a device is requested with what the plan needs and the
 * executor created (shader modules and pipelines, weights uploaded). All of it counts in setup,
 * i.e. in time to first inference; compileMs is the host-side compiler alone.
 */

export function vitcParticipant(source: AdapterSource): Participant {
  return {
    name: 'vitc',
    adapter: source.name,
    async setup(model): Promise<PreparedRun> {
      const adapter = await source.requestAdapter();
      const t0 = performance.now();
      const compiled = compileWebGpu(importOnnxFile(model.path), { batch: model.batch, limits: targetLimitsOf(adapter.limits) });
      const compileMs = performance.now() - t0;
      const device = await requestDeviceFor(adapter, { plan: compiled.plan, timestamps: false, label: `vitc ${model.name}` });
      const executor = await createExecutor(device, compiled.plan, compiled.sources, compiled.weights).catch((e: unknown) => {
        device.destroy();
        throw e;
      });
      const shapes = new Map(compiled.plan.outputs.map((t) => [t.name, t.shape]));
      return {
        device: describeAdapter(adapter),
        compileMs,
        async run(inputs: Tensors): Promise<Tensors> {
          const feeds: Record<string, Float32Array> = {};
          for (const [name, t] of inputs) {
            if (!(t.data instanceof Float32Array)) throw new VitcError(`the bench feeds float32 inputs only, got ${t.dtype} for ${name}`);
            feeds[name] = t.data;
          }
          const out = await executor.run(feeds as RunInputs);
          const result = new Map<string, Tensor>();
          for (const [name, data] of Object.entries(out)) {
            if (!(data instanceof Float32Array)) throw new VitcError(`vitc returned a non-float32 output ${name}; the bench compares float32 outputs only`);
            result.set(name, new Tensor('f32', [...shapes.get(name)!], data));
          }
          return result;
        },
        async release() {
          executor.destroy();
          device.destroy();
        },
      };
    },
  };
}
