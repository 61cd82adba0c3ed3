import { CASCADED_DEFAULT_CHUNK } from '../codegen/lower/cascaded-attention.js';
import type { Schedule } from '../codegen/schedule/types.js';
import type { TuneSummary, WorkloadSummary } from './tune.js';

/** A schedule in a few characters: "wg 16×4 t 4×8 v4 k4 il". */
export function formatSchedule(s: Schedule | undefined): string {
  if (!s) return '-';
  switch (s.kind) {
    case 'matmul':
      return `wg ${s.wgX}×${s.wgY} t ${s.tm}×${s.tn} v${s.vec} k${s.kUnroll}${s.interleave ? ' il' : ''}${(s.kSplit ?? 1) > 1 ? ` split-k ${s.kSplit}` : ''}${s.aVec === 4 ? ' a4' : ''}`;
    case 'elementwise':
      return `wg ${s.wg} v${s.vec}`;
    case 'row':
      return `wg ${s.wg} tpr ${s.threadsPerRow}`;
    case 'reduce':
      return `wg ${s.wg}`;
    case 'attention':
      return `rows ${s.rows} kv ${s.kvTile} rpt ${s.rowsPerThread ?? 1}`;
    case 'conv_transpose':
    case 'gather':
    case 'scatter_add':
      return `wg ${s.wg}`;
    case 'cascaded_attention':
      return `wg ${s.wg} chunk ${s.chunk ?? CASCADED_DEFAULT_CHUNK}${s.vec === 1 ? ' v1' : ''}`;
    case 'top_k':
      return `wg ${s.wg}${s.staged ? ' staged' : ''}`;
    case 'dw_pointwise':
      return `wg ${s.wg} tok ${s.tokens}`;
  }
}

const ms = (x: number | undefined) => (x === undefined ? '-' : x >= 100 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toFixed(3));

function speedup(w: WorkloadSummary): string {
  return w.defaultMs !== undefined && w.bestMs !== undefined && w.bestMs > 0 ? `${(w.defaultMs / w.bestMs).toFixed(2)}×` : '-';
}

/** The final per-workload table of `vitc tune`, plus the model-level estimate (Σ tasks × time). */
export function formatTuneTable(summary: TuneSummary): string {
  const head = ['workload', 'what', 'tasks', 'default ms', 'best ms', 'speed-up', 'trials', 'stop', 'schedule'];
  const rows = summary.workloads.map((w) => [w.key, w.description, String(w.tasks), ms(w.defaultMs), ms(w.bestMs), speedup(w), `${w.trials}${w.failed ? ` (${w.failed} failed)` : ''}`, w.stopped, formatSchedule(w.best)]);
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const numeric = new Set([2, 3, 4, 5, 6]);
  const line = (r: readonly string[]) => r.map((x, c) => (numeric.has(c) ? x.padStart(widths[c]!) : x.padEnd(widths[c]!))).join('  ').trimEnd();
  const out = [line(head), widths.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)];
  const known = summary.workloads.filter((w) => w.defaultMs !== undefined && w.bestMs !== undefined);
  const before = known.reduce((s, w) => s + w.tasks * w.defaultMs!, 0);
  const after = known.reduce((s, w) => s + w.tasks * w.bestMs!, 0);
  if (known.length > 0 && after > 0) {
    out.push('', `kernel time per inference (Σ tasks × ms): default ${ms(before)} ms, tuned ${ms(after)} ms (${(before / after).toFixed(2)}×) on ${summary.device.name}, ${summary.seconds.toFixed(0)} s of tuning`);
  }
  if (summary.error) out.push(`stopped early: ${summary.error}`);
  return out.join('\n');
}
