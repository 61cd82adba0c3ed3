import type { ModelResult, ParticipantResult } from './harness.js';

/*
 * The bench's Markdown tables. A ratio "vs B" is B's median divided by the row's median (above 1:
 * the row is faster than B). B is the participant named B on the same adapter; a row on an
 * adapter without one (e.g. the wasm EP, adapter `cpu`, or any row against the wasm EP) is
 * compared with B when the model has exactly one B row, else left blank.
 */

/** One row per model × participant × adapter, with every number the harness measured. */
export function markdownTable(results: readonly ModelResult[], baselines: readonly string[]): string {
  const head = [
    'model',
    'participant',
    'adapter',
    'median ms/img',
    'min ms/img',
    'runs',
    'first inference ms (setup + run)',
    'compile ms',
    ...baselines.map((b) => `vs ${b}`),
    'max abs err vs ORT-node',
  ];
  const numeric = (i: number): boolean => i >= 3 && i < 8 + baselines.length;
  const lines = [row(head), row(head.map((_, i) => (numeric(i) ? '---:' : '---')))];
  for (const m of results) {
    for (const p of m.participants) {
      lines.push(
        row([
          modelLabel(m),
          p.name,
          p.device ? `${p.adapter} (${shorten(p.device)})` : p.adapter,
          p.error && p.perImage.count === 0 ? `failed: ${p.error.replace(/\|/g, '/')}` : ms(p.perImage.median),
          ms(p.perImage.min),
          String(p.perImage.count),
          p.setupMs !== undefined && p.firstRunMs !== undefined
            ? `${ms(p.setupMs + p.firstRunMs)} (${ms(p.setupMs)} + ${ms(p.firstRunMs)})`
            : '—',
          ms(p.compileMs),
          ...baselines.map((b) => ratioCell(p, baselineFor(m, p, b))),
          numerics(p),
        ]),
      );
    }
  }
  return lines.join('\n');
}

/**
 * One row per model × adapter on which `subject` ran: its ms/img next to each peer's on the same
 * adapter (or the peer's only row, for adapter-less peers), the subject's speed-up over each,
 * first inference of all of them, and the subject's compile time.
 */
export function summaryTable(results: readonly ModelResult[], subject: string, peers: readonly string[]): string {
  const head = [
    'model',
    'adapter',
    `${subject} ms/img`,
    ...peers.map((p) => `${p} ms/img`),
    ...peers.map((p) => `${subject} speed-up vs ${p}`),
    `first inference s: ${[subject, ...peers].join(' / ')}`,
    `${subject} compile ms`,
  ];
  const lines = [row(head), row(head.map((_, i) => (i >= 2 ? '---:' : '---')))];
  for (const m of results) {
    for (const s of m.participants.filter((p) => p.name === subject)) {
      const others = peers.map((name) => baselineFor(m, s, name));
      lines.push(
        row([
          modelLabel(m),
          s.adapter,
          medianCell(s),
          ...others.map((o) => (o ? medianCell(o) : '—')),
          ...others.map((o) => ratioCell(s, o)),
          [s, ...others].map((p) => (p ? seconds(firstInferenceMs(p)) : '—')).join(' / '),
          ms(s.compileMs),
        ]),
      );
    }
  }
  return lines.join('\n');
}

function modelLabel(m: ModelResult): string {
  return m.batch === 1 ? m.model : `${m.model} (batch ${m.batch})`;
}

function medianCell(p: ParticipantResult): string {
  return p.error && p.perImage.count === 0 ? 'failed' : ms(p.perImage.median);
}

function firstInferenceMs(p: ParticipantResult): number | undefined {
  return p.setupMs !== undefined && p.firstRunMs !== undefined ? p.setupMs + p.firstRunMs : undefined;
}

/** `base` median over `p` median; '1.00×' for the baseline itself; '—' when either has no runs. */
export function ratioCell(p: ParticipantResult, base: ParticipantResult | undefined): string {
  if (!base) return '—';
  if (base === p) return '1.00×';
  if (!p.perImage.count || !base.perImage.count) return '—';
  const r = base.perImage.median / p.perImage.median;
  // Two significant digits below 0.1, so a 250× slower row does not read "0.00×".
  return `${r >= 0.1 ? r.toFixed(2) : r.toPrecision(2)}×`;
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

function seconds(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '—';
  return v >= 10000 ? (v / 1000).toFixed(0) : (v / 1000).toFixed(2);
}

/** Adapter descriptions are long ("llvmpipe (LLVM 15.0.6, 256 bits) / OpenGL 4.5 ..."): keep the first part. */
function shorten(device: string): string {
  return device.length > 40 ? `${device.slice(0, 37)}...` : device;
}

function row(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}
