import type { Graph } from '../../ir/graph.js';
import type { Tensor } from '../../ir/tensor.js';
import { runReference } from '../../runtime/reference/interpreter.js';
import { graphInputs, graphOutputs, type TensorSpec } from './tensor-specs.js';

/** A model ready to run on one target, whatever it came from. The WebGPU runners are in webgpu-runners.ts. */
export interface ModelRunner {
  /** "reference interpreter", "WebGPU on llvmpipe (opengl)". */
  readonly description: string;
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  run(inputs: ReadonlyMap<string, Tensor>): Promise<Map<string, Tensor>>;
  close(): void;
}

export function referenceRunner(g: Graph): ModelRunner {
  return {
    description: 'reference interpreter (CPU)',
    inputs: graphInputs(g),
    outputs: graphOutputs(g),
    run: async (inputs) => runReference(g, inputs),
    close: () => {},
  };
}
