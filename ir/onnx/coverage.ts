import { Const } from '../ops/index.js';
import { CONVERTERS } from './convert/registry.js';
import { type ImportRun, runImport } from './import.js';
import type { LoadedModel } from './read-model.js';

/** How the nodes of one ONNX op type were handled. */
export interface OpCoverage {
  readonly opType: string;
  readonly count: number;
  /** vitc has a converter for this op type. */
  readonly supported: boolean;
  /** Outcome → number of nodes, e.g. "converted to matmul, add" → 3, "folded into constants" → 2. */
  readonly handling: ReadonlyMap<string, number>;
  /** Messages of nodes that failed to convert. */
  readonly errors: readonly string[];
}

export interface CoverageReport {
  readonly file: string;
  readonly opset: number;
  readonly ops: readonly OpCoverage[];
  /** Every unsupported op type in the model (not just the first). */
  readonly unsupported: readonly string[];
  /** The whole model imports. */
  readonly ok: boolean;
}

/**
 * Imports the model leniently and reports, per ONNX op type, how its nodes were handled:
 * converted to which IR ops, folded into constants, recognised into layer_norm/gelu, dropped as
 * unused, unsupported, failed, or skipped because an input came from an unsupported node.
 */
export function coverageReport(model: LoadedModel): CoverageReport {
  const run = runImport(model, { lenient: true, recognize: true });
  const byType = new Map<string, { count: number; handling: Map<string, number>; errors: string[] }>();
  for (const r of run.records) {
    const opType = r.node.opType!;
    let e = byType.get(opType);
    if (!e) byType.set(opType, (e = { count: 0, handling: new Map(), errors: [] }));
    e.count++;
    const label = describeOutcome(run, r);
    e.handling.set(label, (e.handling.get(label) ?? 0) + 1);
    if (r.outcome.kind === 'failed') e.errors.push(`node '${r.node.name ?? ''}': ${r.outcome.message}`);
  }
  const ops = [...byType]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([opType, e]) => ({ opType, count: e.count, supported: CONVERTERS.has(opType), handling: e.handling, errors: e.errors }));
  const unsupported = ops.filter((o) => !o.supported).map((o) => o.opType);
  return { file: model.file, opset: model.opset, ops, unsupported, ok: run.graph !== undefined };
}

function describeOutcome(run: ImportRun, r: ImportRun['records'][number]): string {
  const o = r.outcome;
  switch (o.kind) {
    case 'unsupported':
      return 'unsupported';
    case 'failed':
      return 'failed';
    case 'skipped':
      return 'not converted (depends on an unsupported or failed node)';
    case 'converted':
      break;
  }
  const nodes = run.converted!.nodes.slice(o.first, o.end).filter((n) => n.op !== Const);
  if (!nodes.length) return 'folded into constants';
  const recognised = [...new Set(nodes.flatMap((n) => run.absorbed.get(n.outputs[0]!) ?? []))];
  if (recognised.length) return `recognised into ${recognised.join(', ')}`;
  if (run.surviving && nodes.every((n) => !run.surviving!.has(n.outputs[0]!))) return 'dropped (unused)';
  return `converted to ${[...new Set(nodes.map((n) => n.op.name))].join(', ')}`;
}

/** The report as an aligned text table, unsupported ops listed first. */
export function formatCoverage(rep: CoverageReport): string {
  const lines = [`${rep.file}: opset ${rep.opset}, ${rep.ops.reduce((a, o) => a + o.count, 0)} nodes, ${rep.ops.length} op types`];
  if (rep.unsupported.length) lines.push(`unsupported op types: ${rep.unsupported.join(', ')}`);
  const width = Math.max(...rep.ops.map((o) => o.opType.length), 7);
  for (const o of rep.ops) {
    const how = [...o.handling].map(([label, n]) => (o.handling.size > 1 ? `${label} (${n})` : label)).join('; ');
    lines.push(`  ${o.opType.padEnd(width)} ${String(o.count).padStart(5)}  ${o.supported ? '' : 'UNSUPPORTED '}${how}`);
    for (const e of o.errors) lines.push(`  ${''.padEnd(width)}        error: ${e}`);
  }
  lines.push(rep.ok ? 'the model imports completely' : 'the model does not import completely');
  return lines.join('\n');
}
