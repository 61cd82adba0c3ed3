import type { KernelPlan } from './types.js';

/** What a compiled model costs per inference in launches and memory traffic. */
export interface PlanTraffic {
  /** Kernel launches (one per task). */
  readonly dispatches: number;
  /**
   * Bytes moved: for every task, each distinct buffer it binds counted once at its full size
   * (operands read, output written). A lower bound on traffic where a kernel re-reads data and
   * an upper bound where it reads only part of a buffer; the same measure before and after a
   * pass, so the difference is what the pass saved.
   */
  readonly bytes: number;
  /** Launches per workload kind (matmul, conv, attention, copy, ...). */
  readonly byKind: ReadonlyMap<string, number>;
}

const ELEMENT_BYTES = 4;

export function planTraffic(kp: KernelPlan): PlanTraffic {
  let bytes = 0;
  const byKind = new Map<string, number>();
  for (const t of kp.tasks) {
    const buffers = new Set([...t.operands, t.output]);
    for (const b of buffers) bytes += b.elements * ELEMENT_BYTES;
    byKind.set(t.workload.kind, (byKind.get(t.workload.kind) ?? 0) + 1);
  }
  return { dispatches: kp.tasks.length, bytes, byKind };
}
