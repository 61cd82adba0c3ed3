import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { TuneRecord } from './records.js';

/*
 * `vitc tune --report DB -o plot.svg`: best-so-far time against trials, one line per workload,
 * one panel per device. Trials are numbered per (device, workload) in measurement order across
 * runs, so a resumed search continues its curve. Failed candidates count as trials (they cost
 * time) but never lower the curve.
 */

export interface BestSoFarPoint {
  readonly device: string;
  readonly workload: string;
  readonly trial: number;
  readonly bestMs: number;
}

export function bestSoFar(records: readonly TuneRecord[]): BestSoFarPoint[] {
  const groups = new Map<string, TuneRecord[]>();
  for (const r of records) {
    const g = `${r.device.id}|${r.key}`;
    groups.set(g, [...(groups.get(g) ?? []), r]);
  }
  const names = deviceNames(records);
  const points: BestSoFarPoint[] = [];
  for (const rs of groups.values()) {
    const sorted = [...rs].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.trial - b.trial));
    let best = Infinity;
    sorted.forEach((r, i) => {
      if (r.status === 'ok' && !r.pruned && r.medianMs !== null) best = Math.min(best, r.medianMs);
      if (Number.isFinite(best)) points.push({ device: names.get(r.device.id)!, workload: `${r.workload} [${r.key.slice(0, 6)}]`, trial: i + 1, bestMs: best });
    });
  }
  return points;
}

/** Display names, made unique when two devices share one ("llvmpipe", "llvmpipe #2"). */
function deviceNames(records: readonly TuneRecord[]): Map<string, string> {
  const out = new Map<string, string>();
  const used = new Map<string, number>();
  for (const r of records) {
    if (out.has(r.device.id)) continue;
    const base = r.device.name || r.device.description || r.device.id;
    const n = (used.get(base) ?? 0) + 1;
    used.set(base, n);
    out.set(r.device.id, n === 1 ? base : `${base} #${n}`);
  }
  return out;
}

export function reportSpec(points: readonly BestSoFarPoint[]): TopLevelSpec {
  const devices = new Set(points.map((p) => p.device)).size;
  const layer = {
    mark: { type: 'line' as const, interpolate: 'step-after' as const, point: { size: 12 } },
    encoding: {
      x: { field: 'trial', type: 'quantitative' as const, title: 'trials' },
      y: { field: 'bestMs', type: 'quantitative' as const, scale: { type: 'log' as const }, title: 'best time so far (ms)' },
      color: { field: 'workload', type: 'nominal' as const, title: 'workload' },
    },
    width: 520,
    height: 300,
  };
  const data = { values: points.map((p) => ({ ...p })) };
  const title = 'vitc tune: best-so-far kernel time';
  return (devices > 1 ? { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', title, data, facet: { row: { field: 'device', type: 'nominal', title: null } }, spec: layer, resolve: { scale: { y: 'independent' } } } : { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', title: `${title} (${points[0]?.device ?? 'no records'})`, data, ...layer }) as TopLevelSpec;
}

/** The plot as an SVG document (rendered headlessly by vega). */
export async function renderReport(records: readonly TuneRecord[]): Promise<string> {
  const view = new vega.View(vega.parse(compile(reportSpec(bestSoFar(records))).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
