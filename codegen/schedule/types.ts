import type { StructuralSchedule } from './structural.js';

/**
 * Schedules: how a workload is mapped onto invocations. Plain data — the autotuner's search
 * space is exactly these knobs, and tuning records store them verbatim.
 */

/**
 * Register-tiled matmul: each invocation computes `tm` rows × `tn` columns (tn a multiple of
 * `vec`), a workgroup is wgX (along N) × wgY (along M) invocations. `interleave` spreads an
 * invocation's rows/columns with stride wgY/wgX·vec instead of taking a contiguous block.
 * The K loop is unrolled `kUnroll` times. `kSplit` layers of invocations along z each sum a
 * slice of K and combine through workgroup memory (absent: 1, one layer). `aVec` 4 reads A four
 * k at a time.
 */
export interface MatmulSchedule {
  readonly kind: 'matmul';
  readonly wgX: number;
  readonly wgY: number;
  readonly tm: number;
  readonly tn: number;
  readonly vec: 1 | 4;
  readonly kUnroll: number;
  readonly interleave: boolean;
  readonly kSplit?: number;
  /** 4: read A as vec4 along K, one load serving four k (absent: 1). */
  readonly aVec?: 1 | 4;
}

/** Elementwise: `vec` elements (along the last axis) per invocation, 1-D workgroups of `wg`. */
export interface ElementwiseSchedule {
  readonly kind: 'elementwise';
  readonly wg: number;
  readonly vec: 1 | 4;
}

/**
 * Row ops: `threadsPerRow` invocations (a power of two) share a row, combining partial results in
 * workgroup memory; a workgroup of `wg` invocations holds wg / threadsPerRow rows.
 */
export interface RowSchedule {
  readonly kind: 'row';
  readonly wg: number;
  readonly threadsPerRow: number;
}

/** Reductions: `wg` invocations per workgroup, each computing one output element serially. */
export interface ReduceSchedule {
  readonly kind: 'reduce';
  readonly wg: number;
}

/**
 * Attention: a workgroup of `rows` invocations handles rows·rowsPerThread query rows of one
 * leading index; keys are streamed in chunks of `kvTile` with an online softmax.
 */
export interface AttentionSchedule {
  readonly kind: 'attention';
  readonly rows: number;
  readonly kvTile: number;
  readonly rowsPerThread?: number;
}

/**
 * top_k: one workgroup of `wg` invocations per row; each ranks every `wg`-th entry of the row,
 * reading the row from workgroup memory when `staged` (4 bytes per entry), else from storage.
 */
export interface TopKSchedule {
  readonly kind: 'top_k';
  readonly wg: number;
  readonly staged: boolean;
}

/** Gather: one output element per invocation, 1-D workgroups of `wg`. */
export interface GatherSchedule {
  readonly kind: 'gather';
  readonly wg: number;
}

/** Scatter-add: one output element per invocation (summing its updates serially), workgroups of `wg`. */
export interface ScatterAddSchedule {
  readonly kind: 'scatter_add';
  readonly wg: number;
}

export type Schedule = MatmulSchedule | ElementwiseSchedule | RowSchedule | ReduceSchedule | AttentionSchedule | TopKSchedule | GatherSchedule | ScatterAddSchedule | StructuralSchedule;
