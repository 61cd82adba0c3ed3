import { compileWebGpu } from '../../../compiler/compile-webgpu.js';
import type { Graph } from '../../../ir/graph.js';
import { importOnnxFile } from '../../../ir/onnx/import.js';
import { Tensor } from '../../../ir/tensor.js';

import { limitsRecord } from '../../../runtime/webgpu/device-request.js';
import { createExecutor } from '../../../runtime/webgpu/executor.js';
import type { AdapterSource } from '../dawn-adapters.js';
import type { Participant } from '../harness.js';

/**
 * vitc on the adapter `source` hands out: import, `transform` (a user pipeline such as
 * sandwich-fuse), compile for the model's batch, create the executor. Setup counts all of it.
 */
export function vitcWebGpuParticipant(source: AdapterSource, name: string, transform: (g: Graph, batch: number) => Graph = (g) => g): Participant {
  return {
    name,
    adapter: source.name,
    async setup(model) {
      const graph = transform(importOnnxFile(model.path), model.batch);
      const compiled = compileWebGpu(graph, { batch: model.batch });
      const adapter = await source.requestAdapter();
      // Every limit at the adapter's maximum, as the tests' devices do (the plan states what it needs).
      const device = await adapter.requestDevice({ requiredLimits: limitsRecord(adapter.limits) });
      const executor = await createExecutor(device, compiled.plan, compiled.sources, compiled.weights);
      return {
        device: source.description,
        async run(inputs) {
          const out = await executor.run(Object.fromEntries([...inputs].map(([k, t]) => [k, t.data as Float32Array])));
          return new Map(compiled.plan.outputs.map((o) => [o.name, new Tensor('f32', [...o.shape], out[o.name] as Float32Array)]));
        },
        async release() {
          executor.destroy();
          device.destroy();
        },
      };
    },
  };
}
