import { bytesMoved } from '../../codegen/emit-webgpu.js';
import type { WebGpuCompileResult } from '../compile-webgpu.js';

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
export function formatCompileStats(c: WebGpuCompileResult, batch: number, limitsFrom: string): string {
  const { plan, memory } = c;
  const moved = bytesMoved(c);
  const ratio = memory.arenaLowerBound > 0 ? memory.arenaBytes / memory.arenaLowerBound : 1;
  const lines = [
    `${plan.name}: WebGPU, batch ${batch}, limits of ${limitsFrom}`,
    `dispatches per inference: ${plan.dispatches.length}`,
    `programs (distinct WGSL modules): ${plan.programs.length}`,
    `bytes moved per inference: ${count(moved)} (${mib(moved)}; every binding of every dispatch)`,
    `arena: ${count(memory.arenaBytes)} bytes, liveness lower bound ${count(memory.arenaLowerBound)} bytes (${ratio.toFixed(2)}×)`,
    `weights: ${count(memory.weightsBytes)} bytes; inputs and outputs: ${count(memory.ioBytes)} bytes`,
    'kernels:',
  ];
  const width = Math.max(4, ...c.kernels.map((k) => k.task.length));
  lines.push(`  ${'#'.padStart(3)}  ${'task'.padEnd(width)}  ${'program'.padEnd(13)}  ${'schedule'.padEnd(13)}  nodes fused`);
  c.kernels.forEach((k, i) => {
    lines.push(`  ${String(i).padStart(3)}  ${k.task.padEnd(width)}  ${k.program.padEnd(13)}  ${k.source.padEnd(13)}  ${k.nodes.length}: ${k.nodes.join(', ')}`);
  });
  return `${lines.join('\n')}\n`;
}
