import { VitcError } from '../../ir/errors.js';

/** Where `vitc run` and `vitc verify` can execute a model. */
export const RUN_TARGETS = ['reference', 'webgpu'] as const;
export type RunTarget = (typeof RUN_TARGETS)[number];

/** What `vitc compile` can generate code for. A new target is a name here and a branch in commands/compile.ts. */
export const COMPILE_TARGETS = ['webgpu', 'cuda'] as const;
export type CompileTarget = (typeof COMPILE_TARGETS)[number];

/** The target if `valid` has it, else a usage error naming the valid ones. */
export function checkTarget<T extends string>(value: string, valid: readonly T[], command: string): T {
  if ((valid as readonly string[]).includes(value)) return value as T;
  throw new VitcError(`unsupported target '${value}' for 'vitc ${command}'; valid targets: ${valid.join(', ')}`, { context: '--target' });
}
