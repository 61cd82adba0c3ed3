import type { ModelStats } from '../model-stats.js';

/** One column pair per graph: tokens in→out and MFLOPs per row (stem, each block, head, total). */
export function formatModelStats(title: string, before: ModelStats, after: ModelStats | undefined): string {
  const graphs = after ? [before, after] : [before];
  // One precision for the whole table: three decimals for small models, one from 100 MFLOPs up.
  const digits = before.total < 1e8 ? 3 : 1;
  const mflops = (f: number | undefined) => (f === undefined ? '-' : (f / 1e6).toFixed(digits));
  const tokens = (s: ModelStats, i: number) => {
    const b = s.blocks[i];
    return b ? (b.tokensIn === b.tokensOut ? `${b.tokensIn}` : `${b.tokensIn}→${b.tokensOut}`) : '-';
  };
  const change = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || a === 0 ? '' : `${(100 * (b / a - 1)).toFixed(1)}%`);
  const header = after ? ['', 'tokens', 'MFLOPs', 'tokens after', 'MFLOPs after', 'change'] : ['', 'tokens', 'MFLOPs'];
  const rows: string[][] = [header];
  const row = (label: string, cells: (s: ModelStats) => [string, number | undefined]) => {
    const parts = graphs.map(cells);
    const r = [label, ...parts.flatMap(([t, f]) => [t, mflops(f)])];
    if (after) r.push(change(parts[0]![1], parts[1]![1]));
    rows.push(r);
  };
  row('stem', (s) => ['', s.blocks.length ? s.stem : undefined]);
  const count = Math.max(...graphs.map((s) => s.blocks.length));
  for (let i = 0; i < count; i++) row(`block ${i}`, (s) => [tokens(s, i), s.blocks[i]?.flops]);
  row('head', (s) => ['', s.blocks.length ? s.head : undefined]);
  row('total', (s) => ['', s.total]);
  const widths = header.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const lines = rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ').trimEnd());
  const notes = [...new Set(graphs.flatMap((s) => (s.note ? [s.note] : [])))];
  return `${title}\n${lines.join('\n')}\n${notes.map((n) => `note: ${n}\n`).join('')}`;
}
