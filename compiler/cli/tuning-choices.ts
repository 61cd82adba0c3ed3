import type { EmittedKernel } from '../../codegen/emit-webgpu.js';
import { type AppliedChoice, summarizeChoices } from '../../codegen/tune/apply.js';
import type { DeviceFingerprint } from '../../codegen/tune/fingerprint.js';
import { formatSchedule } from '../tune-table.js';

const ms = (x: number) => (x >= 100 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toFixed(3));

/**
 * `vitc compile --tuning-db`: a summary line, then one line per kernel saying where its schedule
 * came from (the exact device, the nearest device with its distance, or the heuristic default).
 */
export function formatTuningChoices(kernels: readonly EmittedKernel[], applied: ReadonlyMap<string, AppliedChoice>, device: DeviceFingerprint, db: string): string {
  const lines = [`tuning database ${db} for ${device.name} [${device.id}]: ${summarizeChoices(kernels) || 'no kernels'}`];
  const width = Math.max(4, ...kernels.map((k) => k.task.length));
  for (const k of kernels) {
    const c = applied.get(k.workloadKey);
    const from = c?.from && k.source !== 'default' ? ` from ${c.from.name} [${c.from.id}]${k.source === 'tuned-nearest' ? ` at distance ${c.distance!.toFixed(2)}` : ''}, ${ms(c.medianMs!)} ms` : '';
    lines.push(`  ${k.task.padEnd(width)}  ${k.source.padEnd(13)}  ${formatSchedule(k.schedule)}${from}`);
  }
  return `${lines.join('\n')}\n`;
}
