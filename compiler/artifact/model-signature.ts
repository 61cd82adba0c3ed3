import type { ExecutionPlan, PlanDType } from '../../runtime/webgpu/plan.js';

/** One tensor the compiled model takes or returns, as its module describes it. */
export interface TensorSignature {
  readonly name: string;
  readonly dtype: PlanDType;
  readonly shape: readonly number[];
}

/** What model.js exports and model.d.ts declares about a compiled model. */
export interface ModelSignature {
  readonly name: string;
  /** The batch size the kernels were compiled for (shapes are fixed). */
  readonly batch: number;
  readonly vitcVersion: string;
  readonly inputs: readonly TensorSignature[];
  readonly outputs: readonly TensorSignature[];
}

export function modelSignature(plan: ExecutionPlan, name: string, batch: number, vitcVersion: string): ModelSignature {
  const tensor = ({ name: n, dtype, shape }: TensorSignature): TensorSignature => ({ name: n, dtype, shape: [...shape] });
  return { name, batch, vitcVersion, inputs: plan.inputs.map(tensor), outputs: plan.outputs.map(tensor) };
}

/** The typed arrays the runtime accepts per input dtype (f16 inputs: f32 values or raw half bits). */
export const INPUT_ARRAY_TYPES: Readonly<Record<PlanDType, string>> = {
  f32: 'Float32Array',
  f16: 'Float32Array | Uint16Array',
  i32: 'Int32Array',
  u32: 'Uint32Array',
};

/** The typed arrays the runtime returns per output dtype (f16 outputs are widened to f32). */
export const OUTPUT_ARRAY_TYPES: Readonly<Record<PlanDType, string>> = {
  f32: 'Float32Array',
  f16: 'Float32Array',
  i32: 'Int32Array',
  u32: 'Uint32Array',
};

/** A tensor name as a property key: bare when it is an identifier, else a string literal ("input.1"). */
export function propertyKey(name: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? name : JSON.stringify(name);
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Text for a comment: names come from the model file, so they must neither close the comment nor end the line. */
export function docText(text: string): string {
  return text.replace(/\*\//g, '*\\/').replace(/[\r\n\u2028\u2029]+/g, ' ');
}

/** "`f32` [1, 3, 32, 32]: 3072 values, row-major" */
export function describeTensor(t: TensorSignature): string {
  return `\`${t.dtype}\` [${t.shape.join(', ')}]: ${elementCount(t.shape)} values, row-major.`;
}
