import type { KernelPlan, PlanBuffer } from './types.js';

/** Byte placement of every buffer of a kernel plan in the runtime's weights/arena/io buffers. */
export interface MemoryPlan {
  readonly alignment: number;
  readonly offsets: ReadonlyMap<PlanBuffer, { readonly region: 'weights' | 'arena' | 'io'; readonly offset: number; readonly size: number }>;
  readonly weightsBytes: number;
  readonly arenaBytes: number;
  readonly ioBytes: number;
  /** Largest total size of temporaries alive at once: no placement can use less arena. */
  readonly arenaLowerBound: number;
}

export function alignUp(x: number, a: number): number {
  return Math.ceil(x / a) * a;
}

/** Bytes a buffer occupies (16-byte multiple, so vec4 bindings always fit). */
export function bufferBytes(b: PlanBuffer): number {
  return alignUp(b.elements * 4, 16);
}

/**
 * Static memory plan. Weights and graph inputs/outputs get their own regions; temporaries share
 * the arena by liveness (a temporary lives from the task writing it to the last task reading it).
 * Placement is greedy by size, largest first, each at the lowest aligned offset that does not
 * collide with an already placed temporary whose lifetime overlaps.
 */
export function planMemory(plan: KernelPlan, alignment: number): MemoryPlan {
  const offsets = new Map<PlanBuffer, { region: 'weights' | 'arena' | 'io'; offset: number; size: number }>();
  let weightsBytes = 0;
  let ioBytes = 0;
  for (const b of plan.buffers) {
    const size = bufferBytes(b);
    if (b.kind === 'weight') {
      offsets.set(b, { region: 'weights', offset: weightsBytes, size });
      weightsBytes = alignUp(weightsBytes + size, alignment);
    } else if (b.kind === 'input' || b.kind === 'output') {
      offsets.set(b, { region: 'io', offset: ioBytes, size });
      ioBytes = alignUp(ioBytes + size, alignment);
    }
  }
  const life = new Map<PlanBuffer, [number, number]>();
  plan.tasks.forEach((t, i) => {
    for (const b of [...t.operands, t.output]) {
      if (b.kind !== 'temp') continue;
      const l = life.get(b);
      if (l) l[1] = i;
      else life.set(b, [i, i]);
    }
  });
  const temps = [...life.keys()].sort((a, b) => bufferBytes(b) - bufferBytes(a) || a.id - b.id);
  const placed: { start: number; end: number; first: number; last: number }[] = [];
  let arenaBytes = 0;
  for (const b of temps) {
    const size = bufferBytes(b);
    const [first, last] = life.get(b)!;
    const clashes = placed.filter((p) => p.first <= last && first <= p.last).sort((x, y) => x.start - y.start);
    let offset = 0;
    for (const c of clashes) {
      if (offset + size <= c.start) break;
      offset = Math.max(offset, alignUp(c.end, alignment));
    }
    placed.push({ start: offset, end: offset + size, first, last });
    offsets.set(b, { region: 'arena', offset, size });
    arenaBytes = Math.max(arenaBytes, alignUp(offset + size, alignment));
  }
  let arenaLowerBound = 0;
  plan.tasks.forEach((_, i) => {
    let live = 0;
    for (const [b, [first, last]] of life) if (first <= i && i <= last) live += bufferBytes(b);
    arenaLowerBound = Math.max(arenaLowerBound, live);
  });
  return { alignment, offsets, weightsBytes: Math.max(weightsBytes, 4), arenaBytes: Math.max(arenaBytes, 4), ioBytes: Math.max(ioBytes, 4), arenaLowerBound };
}
