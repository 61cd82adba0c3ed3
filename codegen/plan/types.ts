import type { Node } from '../../ir/graph.js';
import type { Tensor } from '../../ir/tensor.js';
import type { Workload } from '../workload/types.js';
import type { View } from './view.js';

/**
 * A buffer of the compiled model: weights (constants, uploaded once), graph inputs and outputs,
 * or temporaries (placed in the arena by liveness). Elements are f32 unless `dtype` says i32.
 */
export interface PlanBuffer {
  readonly id: number;
  readonly kind: 'weight' | 'input' | 'output' | 'temp';
  readonly dtype: 'f32' | 'i32';
  readonly elements: number;
  /** Graph input/output name, or the weight's source name. */
  readonly name?: string;
  /** Contents of a weight. */
  readonly data?: Tensor;
}

/** Where a graph value lives: a buffer read through a view. */
export interface Loc {
  readonly buffer: PlanBuffer;
  readonly view: View;
}

/** One kernel launch: a workload plus the buffers bound to its operands and output. */
export interface Task {
  readonly name: string;
  /** The graph nodes it implements (names for --stats and profiles). */
  readonly nodes: readonly Node[];
  readonly workload: Workload;
  readonly operands: readonly PlanBuffer[];
  readonly output: PlanBuffer;
}

export interface PlanIO {
  readonly name: string;
  readonly shape: readonly number[];
  readonly buffer: PlanBuffer;
}

/** The compiled model before memory placement and code emission. */
export interface KernelPlan {
  readonly name: string;
  readonly buffers: readonly PlanBuffer[];
  readonly tasks: readonly Task[];
  readonly inputs: readonly PlanIO[];
  readonly outputs: readonly PlanIO[];
}
