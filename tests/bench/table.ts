import type { ModelResult, ParticipantResult } from './harness.js';

/**
 * The bench's Markdown table: one row per model × participant × adapter.
 * "vs baseline" is the baseline's median divided by the row's median (above 1: faster than the
 * baseline). The baseline is the participant named `baseline` on the same adapter; rows on an
 * adapter without one (e.g. the wasm EP, adapter `cpu`) are compared with the baseline when the
 * model has exactly one baseline row, else left blank.
 */
export function markdownTable(results: readonly ModelResult[], baseline: string): string {
  const head = [
    'model',
    'participant',
    'adapter',
    'median ms/img',
    'min ms/img',
    'runs',
    'first inference ms (setup + run)',
    `vs ${baseline}`,
    'max abs err vs ORT-node',
  ];
  const lines = [row(head), row(head.map((_, i) => (i >= 3 && i <= 7 ? '---:' : '---')))];
  for (const m of results) {
    for (const p of m.participants) {
      const base = baselineFor(m, p, baseline);
      lines.push(
        row([
          m.batch === 1 ? m.model : `${m.model} (batch ${m.batch})`,
          p.name,
          p.device ? `${p.adapter} (${shorten(p.device)})` : p.adapter,
          p.error && p.perImage.count === 0 ? `failed: ${p.error.replace(/\|/g, '/')}` : ms(p.perImage.median),
          ms(p.perImage.min),
          String(p.perImage.count),
          p.setupMs !== undefined && p.firstRunMs !== undefined
            ? `${ms(p.setupMs + p.firstRunMs)} (${ms(p.setupMs)} + ${ms(p.firstRunMs)})`
            : '—',
          base && base !== p && p.perImage.count && base.perImage.count ? `${(base.perImage.median / p.perImage.median).toFixed(2)}×` : base === p ? '1.00×' : '—',
          numerics(p),
        ]),
      );
    }
  }
  return lines.join('\n');
}

function baselineFor(m: ModelResult, p: ParticipantResult, baseline: string): ParticipantResult | undefined {
  const named = m.participants.filter((q) => q.name === baseline);
  return named.find((q) => q.adapter === p.adapter) ?? (named.length === 1 ? named[0] : undefined);
}

function numerics(p: ParticipantResult): string {
  if (p.checks.length === 0) return '—';
  return p.checks
    .map((c) => {
      if (c.diff.incompatible) return `${c.output}: ${c.diff.incompatible}`;
      if (typeof c.diff.maxAbs !== 'number') return 'not comparable';
      const flag = c.diff.mismatches ? ` (${c.diff.mismatches}/${c.diff.count} off)` : '';
      return `${c.diff.maxAbs.toExponential(1)}${flag}`;
    })
    .join('; ');
}

/** Also takes null: NaN and Infinity come back as null from --json files. */
function ms(v: number | null | undefined): string {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '—';
  return v >= 100 ? v.toFixed(0) : v.toFixed(1);
}

/** Adapter descriptions are long ("llvmpipe (LLVM 15.0.6, 256 bits) / OpenGL 4.5 ..."): keep the first part. */
function shorten(device: string): string {
  return device.length > 40 ? `${device.slice(0, 37)}...` : device;
}

function row(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}
