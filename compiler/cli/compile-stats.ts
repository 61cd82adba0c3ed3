import { bytesMoved } from '../../codegen/emit-webgpu.js';
import type { MemoryPlan } from '../../codegen/plan/memory.js';
import type { CudaCompileResult } from '../compile-cuda.js';
import type { WebGpuCompileResult } from '../compile-webgpu.js';

/** What `vitc compile --stats` reports, whichever target produced it. */
export interface CompileStats {
  /** "mnist_vit: WebGPU, batch 2, limits of WebGPU's defaults" */
  readonly heading: string;
  readonly dispatches: number;
  /** "programs (distinct WGSL modules)" or "kernels (distinct CUDA functions)". */
  readonly programsLabel: string;
  readonly programs: number;
  readonly bytesMoved: number;
  readonly memory: MemoryPlan;
  readonly kernels: readonly { readonly task: string; readonly program: string; readonly source: string; readonly nodes: readonly string[] }[];
}

export function webGpuStats(name: string, c: WebGpuCompileResult, limitsFrom: string): CompileStats {
  return {
    heading: `${name}: WebGPU, batch ${c.batch}, limits of ${limitsFrom}`,
    dispatches: c.plan.dispatches.length,
    programsLabel: 'programs (distinct WGSL modules)',
    programs: c.plan.programs.length,
    bytesMoved: bytesMoved(c),
    memory: c.memory,
    kernels: c.kernels,
  };
}

/** Bytes of every pointer argument of every launch: the CUDA analogue of WebGPU's bindings. */
export function cudaBytesMoved(c: Pick<CudaCompileResult, 'launches'>): number {
  return c.launches.reduce((s, l) => s + l.args.reduce((t, a) => t + a.size, 0), 0);
}

export function cudaStats(name: string, c: CudaCompileResult): CompileStats {
  return {
    heading: `${name}: CUDA, batch ${c.batch}`,
    dispatches: c.launches.length,
    programsLabel: 'kernels (distinct CUDA functions)',
    programs: c.kernels.length,
    bytesMoved: cudaBytesMoved(c),
    memory: c.memory,
    kernels: c.tasks.map((t) => ({ task: t.task, program: t.kernel, source: t.source, nodes: t.nodes })),
  };
}

/**
 * The block a graph node belongs to, from its exported name: the path up to the first run of
 * numbered components ("/encoder/layers/encoder_layer_3", "/blocks/blocks.3", "/features/1/0").
 * Only a reading aid for --stats (names carry no meaning elsewhere in vitc).
 */
export function blockOfNodeName(name: string): string | undefined {
  const parts = name.split('/').slice(0, -1);
  // A numbered component ends in an index: "3", "blocks.3", "encoder_layer_3" (not "norm1").
  const numbered = (p: string) => /(^|[._])\d+$/.test(p);
  const first = parts.findIndex(numbered);
  if (first < 0) return undefined;
  let end = first;
  while (end + 1 < parts.length && numbered(parts[end + 1]!)) end++;
  return parts.slice(0, end + 1).join('/');
}

/** Dispatches per numbered block, in order of first appearance; a kernel counts for a block when all its nodes are in it. */
export function dispatchesPerBlock(kernels: CompileStats['kernels']): Map<string, number> {
  const out = new Map<string, number>();
  for (const k of kernels) {
    const blocks = new Set(k.nodes.map(blockOfNodeName));
    const [only] = blocks;
    if (blocks.size === 1 && only !== undefined) out.set(only, (out.get(only) ?? 0) + 1);
  }
  return out;
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(2)} MiB`;
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

/**
 * `vitc compile --stats`: dispatches per inference, distinct programs, bytes moved, the arena
 * against its liveness lower bound, and one row per kernel with the graph nodes it fuses.
 */
export function formatCompileStats(s: CompileStats): string {
  const { memory } = s;
  const ratio = memory.arenaLowerBound > 0 ? memory.arenaBytes / memory.arenaLowerBound : 1;
  const lines = [
    s.heading,
    `dispatches per inference: ${s.dispatches}`,
    `${s.programsLabel}: ${s.programs}`,
    `bytes moved per inference: ${count(s.bytesMoved)} (${mib(s.bytesMoved)}; every binding of every dispatch)`,
    `arena: ${count(memory.arenaBytes)} bytes, liveness lower bound ${count(memory.arenaLowerBound)} bytes (${ratio.toFixed(2)}×)`,
    `weights: ${count(memory.weightsBytes)} bytes; inputs and outputs: ${count(memory.ioBytes)} bytes`,
  ];
  const perBlock = dispatchesPerBlock(s.kernels);
  if (perBlock.size > 0) {
    const counts = [...perBlock.values()];
    // Short names (the last component) unless two blocks share one.
    const short = (b: string) => b.slice(b.lastIndexOf('/') + 1);
    const shorts = [...perBlock.keys()].map(short);
    const unique = new Set(shorts).size === shorts.length;
    const listed = [...perBlock].map(([b, n]) => `${unique ? short(b) : b} ${n}`).join(', ');
    lines.push(`dispatches per block (by node names): at most ${Math.max(...counts)} over ${perBlock.size} blocks; ${listed}`);
  }
  lines.push('kernels:');
  const width = Math.max(4, ...s.kernels.map((k) => k.task.length));
  const programWidth = Math.max(13, ...s.kernels.map((k) => k.program.length));
  lines.push(`  ${'#'.padStart(3)}  ${'task'.padEnd(width)}  ${'program'.padEnd(programWidth)}  ${'schedule'.padEnd(13)}  nodes fused`);
  s.kernels.forEach((k, i) => {
    lines.push(`  ${String(i).padStart(3)}  ${k.task.padEnd(width)}  ${k.program.padEnd(programWidth)}  ${k.source.padEnd(13)}  ${k.nodes.length}: ${k.nodes.join(', ')}`);
  });
  return `${lines.join('\n')}\n`;
}
