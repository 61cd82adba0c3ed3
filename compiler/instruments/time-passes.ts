import { formatEntry } from '../pipeline.js';
import type { Instrument, Sink } from './instrument.js';

/**
 * time-passes: after the pipeline, a table of wall time per pass run (in pipeline order) and the
 * total, e.g.
 *
 *   ===== pass timing (wall clock) =====
 *        ms       %  pass
 *     1.204   61.3%  canonicalize
 *     0.760   38.7%  cse
 *     1.964  100.0%  total
 */
export function timePasses(sink: Sink): Instrument {
  const rows: { name: string; ms: number }[] = [];
  return {
    afterPass(e) {
      rows.push({ name: formatEntry(e.entry), ms: e.ms });
    },
    afterPipeline() {
      sink(formatTimingTable(rows));
    },
  };
}

export function formatTimingTable(rows: readonly { name: string; ms: number }[]): string {
  const total = rows.reduce((s, r) => s + r.ms, 0);
  const line = (ms: number, name: string) => `${ms.toFixed(3).padStart(10)}  ${(total > 0 ? (100 * ms) / total : 0).toFixed(1).padStart(5)}%  ${name}\n`;
  let out = '===== pass timing (wall clock) =====\n';
  out += `${'ms'.padStart(10)}  ${'%'.padStart(6)}  pass\n`;
  for (const r of rows) out += line(r.ms, r.name);
  out += line(total, 'total');
  return out;
}
