import { sharedBytes } from '../kernel-ir/types.js';
import { CASCADED_DEFAULT_CHUNK } from '../lower/cascaded-attention.js';
import { lowerWorkload } from '../lower/index.js';
import { aVecOf } from '../lower/matmul.js';
import { defaultSchedule } from '../schedule/defaults.js';
import type { TargetLimits } from '../schedule/limits.js';
import type { AttentionSchedule, ElementwiseSchedule, GatherSchedule, MatmulSchedule, ReduceSchedule, RowSchedule, ScatterAddSchedule, Schedule, TopKSchedule } from '../schedule/types.js';
import type { Workload } from '../workload/types.js';
import type { SeededRandom } from './random.js';

/*
 * The search space of one workload: every schedule of its class built from the knob values
 * below that the target's limits admit. Validity is computed here from the same quantities the
 * lowering produces (workgroup size per axis and in total, workgroup memory, storage buffers,
 * grid size per axis), so a search that only draws points of the space never proposes a kernel
 * the device rejects; the property test checks this against the lowering and the emission check.
 */

/** One knob: a schedule field and the values it may take. */
export interface Knob {
  readonly name: string;
  readonly values: readonly (number | boolean)[];
}

export interface ScheduleSpace {
  readonly kind: Workload['kind'];
  readonly knobs: readonly Knob[];
  /** Every admissible schedule, canonical (knobs that would have no effect at their neutral value). */
  readonly points: readonly Schedule[];
  /** Key → index in `points`. */
  readonly index: ReadonlyMap<string, number>;
}

const POW2 = (lo: number, hi: number): number[] => {
  const out: number[] = [];
  for (let v = lo; v <= hi; v *= 2) out.push(v);
  return out;
};

const WG_1D = POW2(1, 1024);
const WG_2D = POW2(1, 256);

export function knobsOf(kind: Workload['kind']): Knob[] {
  switch (kind) {
    case 'matmul':
      return [
        { name: 'wgX', values: WG_2D },
        { name: 'wgY', values: WG_2D },
        { name: 'tm', values: [1, 2, 4, 8] },
        { name: 'tn', values: [1, 2, 4, 8, 16] },
        { name: 'vec', values: [1, 4] },
        { name: 'kUnroll', values: [1, 2, 4, 8] },
        { name: 'interleave', values: [false, true] },
        { name: 'kSplit', values: [1, 2, 4, 8] },
        { name: 'aVec', values: [1, 4] },
      ];
    case 'elementwise':
      return [
        { name: 'wg', values: WG_1D },
        { name: 'vec', values: [1, 4] },
      ];
    case 'row':
      return [
        { name: 'wg', values: WG_1D },
        { name: 'threadsPerRow', values: WG_1D },
      ];
    case 'reduce':
      return [{ name: 'wg', values: WG_1D }];
    case 'attention':
      return [
        { name: 'rows', values: WG_1D },
        { name: 'kvTile', values: [1, 2, 4, 8, 16] },
        { name: 'rowsPerThread', values: [1, 2, 4] },
      ];
    case 'conv_transpose':
      return [{ name: 'wg', values: WG_1D }];
    case 'cascaded_attention':
      return [
        { name: 'wg', values: WG_1D },
        { name: 'chunk', values: [4, 8, 16, 32] },
        { name: 'vec', values: [1, 4] },
      ];
    case 'top_k':
      return [
        { name: 'wg', values: WG_1D },
        { name: 'staged', values: [false, true] },
      ];
    case 'gather':
    case 'scatter_add':
      return [{ name: 'wg', values: WG_1D }];
    case 'dw_pointwise':
      return [
        { name: 'wg', values: WG_1D },
        { name: 'tokens', values: [1, 2, 4, 8, 16] },
      ];
  }
}

/** Stable identity of a schedule (records, de-duplication, resume): its kind and knob values in knob order. */
export function scheduleKey(s: Schedule): string {
  switch (s.kind) {
    case 'matmul':
      // Knobs added later appear only away from their neutral value, so older records still match.
      return `matmul:${s.wgX},${s.wgY},${s.tm},${s.tn},${s.vec},${s.kUnroll},${s.interleave}${(s.kSplit ?? 1) > 1 ? `,split${s.kSplit}` : ''}${s.aVec === 4 ? ',avec4' : ''}`;
    case 'elementwise':
      return `elementwise:${s.wg},${s.vec}`;
    case 'row':
      return `row:${s.wg},${s.threadsPerRow}`;
    case 'reduce':
      return `reduce:${s.wg}`;
    case 'attention':
      return `attention:${s.rows},${s.kvTile},${s.rowsPerThread ?? 1}`;
    case 'conv_transpose':
    case 'gather':
    case 'scatter_add':
      return `${s.kind}:${s.wg}`;
    case 'cascaded_attention':
      return `cascaded_attention:${s.wg},${s.chunk ?? CASCADED_DEFAULT_CHUNK},${s.vec ?? 4}`;
    case 'top_k':
      return `top_k:${s.wg},${s.staged}`;
    case 'dw_pointwise':
      return `dw_pointwise:${s.wg},${s.tokens}`;
  }
}

const ceilDiv = (a: number, b: number) => Math.ceil(a / b);
const product = (xs: readonly number[]) => xs.reduce((a, b) => a * b, 1);
const nextPow2 = (x: number) => 2 ** Math.ceil(Math.log2(Math.max(1, x)));

/** The 1-D launch the lowering uses for `groups` workgroups (split over x and y past 65535). */
function grid1d(groups: number): [number, number, number] {
  if (groups <= 65535) return [Math.max(1, groups), 1, 1];
  const y = ceilDiv(groups, 65535);
  return [ceilDiv(groups, y), y, 1];
}

/** What a schedule asks of the device, computed as the lowering will build the kernel. */
export interface LaunchShape {
  readonly workgroupSize: readonly [number, number, number];
  readonly grid: readonly [number, number, number];
  readonly workgroupBytes: number;
}

export function launchShape(w: Workload, s: Schedule): LaunchShape {
  if (w.kind !== s.kind) throw new Error(`schedule of kind ${s.kind} for a ${w.kind} workload`);
  switch (w.kind) {
    case 'matmul': {
      const m = s as MatmulSchedule;
      const vec = m.vec === 4 && w.n % 4 === 0 && m.tn % 4 === 0 ? 4 : 1;
      const tn = Math.max(vec, m.tn - (m.tn % vec));
      const tileM = m.wgY * m.tm;
      const tileN = m.wgX * tn;
      const split = Math.max(1, m.kSplit ?? 1);
      // LayerNorm prologue: partial sums per (row, x, K layer) plus a mean and an rstd per row;
      // split-K: every K layer but the first parks its accumulators (tm·tn per invocation).
      const prologueBytes = w.prologue ? (tileM * m.wgX * split + 2 * tileM) * 4 : 0;
      const splitBytes = (split - 1) * m.wgX * m.wgY * m.tm * tn * 4;
      return { workgroupSize: [m.wgX, m.wgY, split], grid: [ceilDiv(w.n, tileN), ceilDiv(w.m, tileM), product(w.batch)], workgroupBytes: prologueBytes + splitBytes };
    }
    case 'elementwise': {
      const e = s as ElementwiseSchedule;
      const last = w.shape[w.shape.length - 1] ?? 1;
      const vec = e.vec === 4 && w.shape.length > 0 && last % 4 === 0 ? 4 : 1;
      return { workgroupSize: [e.wg, 1, 1], grid: grid1d(ceilDiv(ceilDiv(product(w.shape), vec), e.wg)), workgroupBytes: 0 };
    }
    case 'row': {
      const r = s as RowSchedule;
      const tpr = Math.min(r.threadsPerRow, r.wg);
      return { workgroupSize: [r.wg, 1, 1], grid: grid1d(ceilDiv(w.rows, r.wg / tpr)), workgroupBytes: tpr > 1 ? r.wg * 4 : 0 };
    }
    case 'reduce': {
      const r = s as ReduceSchedule;
      return { workgroupSize: [r.wg, 1, 1], grid: grid1d(ceilDiv(product(w.shape), r.wg)), workgroupBytes: 0 };
    }
    case 'attention': {
      const a = s as AttentionSchedule;
      return { workgroupSize: [a.rows, 1, 1], grid: [ceilDiv(w.tq, a.rows * Math.max(1, a.rowsPerThread ?? 1)), product(w.batch), 1], workgroupBytes: 0 };
    }
    case 'top_k': {
      const t = s as TopKSchedule;
      return { workgroupSize: [t.wg, 1, 1], grid: grid1d(product(w.rows)), workgroupBytes: t.staged ? w.n * 4 : 0 };
    }
    case 'gather': {
      const g = s as GatherSchedule;
      return { workgroupSize: [g.wg, 1, 1], grid: grid1d(ceilDiv(product(w.shape), g.wg)), workgroupBytes: 0 };
    }
    case 'scatter_add': {
      const g = s as ScatterAddSchedule;
      return { workgroupSize: [g.wg, 1, 1], grid: grid1d(ceilDiv(product(w.shape), g.wg)), workgroupBytes: 0 };
    }
    case 'conv_transpose':
    case 'cascaded_attention':
    case 'dw_pointwise': {
      // Read off the lowered kernel: these lowerings size their own grids and workgroup memory.
      const k = lowerWorkload(w, s, 'probe');
      return { workgroupSize: k.workgroupSize, grid: k.grid, workgroupBytes: sharedBytes(k) };
    }
  }
}

/**
 * Why `s` cannot run on a target with `limits` (one line), or undefined when it can.
 * `storageBuffers` is the kernel's binding count (operands sharing memory share a binding).
 */
export function scheduleProblem(w: Workload, s: Schedule, limits: TargetLimits, storageBuffers: number): string | undefined {
  const { workgroupSize: [x, y, z], grid, workgroupBytes } = launchShape(w, s);
  if (x * y * z > limits.maxComputeInvocationsPerWorkgroup) return `${x * y * z} invocations per workgroup > ${limits.maxComputeInvocationsPerWorkgroup}`;
  if (x > limits.maxComputeWorkgroupSizeX) return `workgroup x ${x} > ${limits.maxComputeWorkgroupSizeX}`;
  if (y > limits.maxComputeWorkgroupSizeY) return `workgroup y ${y} > ${limits.maxComputeWorkgroupSizeY}`;
  if (z > limits.maxComputeWorkgroupSizeZ) return `workgroup z ${z} > ${limits.maxComputeWorkgroupSizeZ}`;
  if (workgroupBytes > limits.maxComputeWorkgroupStorageSize) return `${workgroupBytes} bytes of workgroup memory > ${limits.maxComputeWorkgroupStorageSize}`;
  if (storageBuffers > limits.maxStorageBuffersPerShaderStage) return `${storageBuffers} storage buffers > ${limits.maxStorageBuffersPerShaderStage}`;
  const g = Math.max(...grid);
  if (g > limits.maxComputeWorkgroupsPerDimension) return `${g} workgroups along one grid axis > ${limits.maxComputeWorkgroupsPerDimension}`;
  return undefined;
}

/**
 * The canonical form of a schedule: knobs the lowering would ignore take a neutral value, so two
 * schedules that build the same kernel have the same key (and are measured once).
 */
export function canonicalSchedule(w: Workload, s: Schedule): Schedule {
  switch (s.kind) {
    case 'matmul': {
      if (w.kind !== 'matmul') return s;
      const vec = s.vec === 4 && w.n % 4 === 0 && s.tn % 4 === 0 ? 4 : 1;
      const tn = Math.max(vec, s.tn - (s.tn % vec));
      // Interleaving changes nothing when an invocation owns a single row and a single vector column.
      const interleave = s.interleave && (s.tm > 1 || tn > vec);
      const aVec = aVecOf(w, s);
      // The unroll counts steps of aVec values of k.
      const kUnroll = Math.max(1, Math.min(s.kUnroll, w.k / aVec));
      return { kind: 'matmul', wgX: s.wgX, wgY: s.wgY, tm: s.tm, tn, vec: vec as 1 | 4, kUnroll, interleave, kSplit: Math.max(1, s.kSplit ?? 1), aVec };
    }
    case 'elementwise': {
      if (w.kind !== 'elementwise') return s;
      const last = w.shape[w.shape.length - 1] ?? 1;
      return { kind: 'elementwise', wg: s.wg, vec: s.vec === 4 && w.shape.length > 0 && last % 4 === 0 ? 4 : 1 } as ElementwiseSchedule;
    }
    case 'row':
      return { kind: 'row', wg: s.wg, threadsPerRow: Math.min(s.threadsPerRow, s.wg) };
    case 'reduce':
      return { kind: 'reduce', wg: s.wg };
    case 'attention':
      return { kind: 'attention', rows: s.rows, kvTile: w.kind === 'attention' ? Math.max(1, Math.min(s.kvTile, w.tk)) : s.kvTile, rowsPerThread: Math.max(1, s.rowsPerThread ?? 1) };
    case 'top_k':
      return { kind: 'top_k', wg: s.wg, staged: s.staged };
    case 'gather':
    case 'scatter_add':
      return { kind: s.kind, wg: s.wg };
    case 'conv_transpose':
    case 'cascaded_attention':
    case 'dw_pointwise':
      return s;
  }
}

/**
 * Sizes worth measuring: tiles no larger than the problem rounded up to a power of two (a tile
 * that does not divide the problem is fine, one that is mostly padding is not), enough
 * invocations per workgroup to fill a SIMD unit, at most 64 accumulators per invocation.
 */
function sensible(w: Workload, s: Schedule): boolean {
  switch (s.kind) {
    case 'matmul': {
      if (w.kind !== 'matmul') return false;
      // A K layer gets at least 32 steps of K: shorter slices cost more in combining than they save.
      const split = s.kSplit ?? 1;
      return s.wgY * s.tm <= nextPow2(w.m) && s.wgX * s.tn <= nextPow2(w.n) && s.tm * s.tn <= 64 && s.wgX * s.wgY >= Math.min(8, nextPow2(w.m) * nextPow2(w.n)) && (split === 1 || w.k / split >= 32);
    }
    case 'elementwise': {
      if (w.kind !== 'elementwise') return false;
      const items = product(w.shape) / s.vec;
      return s.wg >= Math.min(16, nextPow2(items)) && s.wg <= Math.max(16, nextPow2(items));
    }
    case 'row': {
      if (w.kind !== 'row') return false;
      return s.wg >= 16 && s.threadsPerRow <= nextPow2(w.cols) && s.wg / s.threadsPerRow <= nextPow2(w.rows);
    }
    case 'reduce': {
      if (w.kind !== 'reduce') return false;
      const n = product(w.shape);
      return s.wg >= Math.min(16, nextPow2(n)) && s.wg <= Math.max(16, nextPow2(n));
    }
    case 'attention': {
      if (w.kind !== 'attention') return false;
      return s.rows >= Math.min(4, nextPow2(w.tq)) && s.rows * (s.rowsPerThread ?? 1) <= nextPow2(w.tq);
    }
    case 'top_k': {
      if (w.kind !== 'top_k') return false;
      return s.wg >= Math.min(16, nextPow2(w.n)) && s.wg <= nextPow2(w.n);
    }
    case 'gather':
    case 'scatter_add': {
      if (w.kind !== s.kind) return false;
      const n = product(w.shape);
      return s.wg >= Math.min(16, nextPow2(n)) && s.wg <= Math.max(16, nextPow2(n));
    }
    case 'conv_transpose':
    case 'cascaded_attention':
    case 'dw_pointwise':
      return w.kind === s.kind && s.wg >= 16;
  }
}

function fromValues(kind: Workload['kind'], knobs: readonly Knob[], values: readonly (number | boolean)[]): Schedule {
  const o: Record<string, unknown> = { kind };
  knobs.forEach((k, i) => (o[k.name] = values[i]));
  return o as unknown as Schedule;
}

/** Every combination of knob values (the Cartesian product, a few tens of thousands at most). */
function* combinations(knobs: readonly Knob[]): Generator<(number | boolean)[]> {
  const idx = knobs.map(() => 0);
  for (;;) {
    yield idx.map((i, k) => knobs[k]!.values[i]!);
    let k = knobs.length - 1;
    while (k >= 0 && ++idx[k]! === knobs[k]!.values.length) idx[k--] = 0;
    if (k < 0) return;
  }
}

/**
 * The space of a workload on a target. Admissible sensible points, or every admissible point
 * when no sensible one fits the limits; the default schedule is always included when it fits,
 * so a search can always report "no slower than the default". Empty when nothing fits.
 */
export function scheduleSpace(w: Workload, limits: TargetLimits, storageBuffers = w.operands.length + 1): ScheduleSpace {
  const knobs = knobsOf(w.kind);
  const preferred = new Map<string, Schedule>();
  const others = new Map<string, Schedule>();
  for (const values of combinations(knobs)) {
    const s = canonicalSchedule(w, fromValues(w.kind, knobs, values));
    if (scheduleProblem(w, s, limits, storageBuffers) !== undefined) continue;
    (sensible(w, s) ? preferred : others).set(scheduleKey(s), s);
  }
  const points = [...(preferred.size > 0 ? preferred : others).values()];
  const fallback = canonicalSchedule(w, defaultSchedule(w, limits));
  const index = new Map(points.map((s, i) => [scheduleKey(s), i]));
  if (!index.has(scheduleKey(fallback)) && scheduleProblem(w, fallback, limits, storageBuffers) === undefined) {
    index.set(scheduleKey(fallback), points.length);
    points.push(fallback);
  }
  return { kind: w.kind, knobs, points, index };
}

export function inSpace(space: ScheduleSpace, s: Schedule): boolean {
  return space.index.has(scheduleKey(s));
}

function valuesOf(space: ScheduleSpace, s: Schedule): (number | boolean)[] {
  const o = s as unknown as Record<string, number | boolean>;
  return space.knobs.map((k) => o[k.name]!);
}

/**
 * A point of the space near `s`: one or two knobs moved, preferably to a neighbouring value
 * (half or double). Falls back to a random point when no neighbour is admissible.
 */
export function mutate(space: ScheduleSpace, w: Workload, s: Schedule, rng: SeededRandom): Schedule {
  for (let attempt = 0; attempt < 24; attempt++) {
    const values = valuesOf(space, s);
    const moves = rng.next() < 0.7 ? 1 : 2;
    for (let m = 0; m < moves; m++) {
      const k = rng.below(space.knobs.length);
      const domain = space.knobs[k]!.values;
      const at = domain.indexOf(values[k]!);
      const near = at >= 0 && rng.next() < 0.7 ? [domain[at - 1], domain[at + 1]].filter((v) => v !== undefined) : domain.filter((v) => v !== values[k]);
      if (near.length > 0) values[k] = rng.pick(near)!;
    }
    const t = canonicalSchedule(w, fromValues(space.kind, space.knobs, values));
    if (inSpace(space, t) && scheduleKey(t) !== scheduleKey(s)) return space.points[space.index.get(scheduleKey(t))!]!;
  }
  return rng.pick(space.points);
}

/** Each knob from one parent or the other; a mutation of `a` when the child is not admissible. */
export function crossover(space: ScheduleSpace, w: Workload, a: Schedule, b: Schedule, rng: SeededRandom): Schedule {
  const va = valuesOf(space, a);
  const vb = valuesOf(space, b);
  for (let attempt = 0; attempt < 8; attempt++) {
    const child = canonicalSchedule(w, fromValues(space.kind, space.knobs, va.map((v, i) => (rng.next() < 0.5 ? v : vb[i]!))));
    if (inSpace(space, child)) return space.points[space.index.get(scheduleKey(child))!]!;
  }
  return mutate(space, w, a, rng);
}
