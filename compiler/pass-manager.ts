import { performance } from 'node:perf_hooks';
import { VitcError } from '../ir/errors.js';
import type { Graph } from '../ir/graph.js';
import { verifyGraph } from '../ir/verify.js';
import type { OptionSchema, OptionsOf } from '../passes/options.js';
import { establishedBy, preservesProperty, type PassContext } from '../passes/pass.js';
import { detectProperties, PROPERTY_CHECKS, type Property } from '../passes/properties.js';
import { PASS_REGISTRY, type PassRegistry } from '../passes/registry.js';
import type { Instrument, Sink } from './instruments/instrument.js';
import { formatEntry, type Pipeline, type PipelineEntry } from './pipeline.js';

export interface PassManagerOptions {
  /** Verify the graph (and the checkable properties a pass claims) after every pass. Default true. */
  readonly verifyEach?: boolean;
  readonly instruments?: readonly Instrument[];
  /** Properties the caller knows the input graph has, beyond those detected by their checks. */
  readonly initialProperties?: Iterable<Property>;
  /** Where pass remarks go; dropped when absent. */
  readonly remarks?: Sink;
  /** For naming the passes that establish a missing property. */
  readonly registry?: PassRegistry;
}

export interface PipelineResult {
  readonly graph: Graph;
  /** Properties known to hold for the result. */
  readonly properties: ReadonlySet<Property>;
}

/**
 * A pass produced an invalid graph, broke a property it claims, or crashed: a compiler bug, not
 * bad input. Carries the pass's input graph so the driver can write a reproducer.
 */
export class PassFailure extends Error {
  constructor(
    message: string,
    readonly entry: PipelineEntry,
    readonly input: Graph,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PassFailure';
  }
}

/**
 * Checks that every pass's requirements hold where it stands, assuming each pass changes the
 * graph. Throws a VitcError at the first offending pass, naming the missing property, what
 * dropped it, and which passes establish it. Never reorders anything.
 */
export function checkPipeline(p: Pipeline, initial: ReadonlySet<Property>, registry: PassRegistry = PASS_REGISTRY): void {
  const holds = new Set(initial);
  const droppedBy = new Map<Property, PipelineEntry>();
  for (const e of p.entries) {
    for (const req of e.pass.requires) {
      if (holds.has(req)) continue;
      const dropper = droppedBy.get(req);
      const why = dropper ? `'${dropper.pass.name}' (column ${dropper.col}) does not preserve it` : 'nothing before it establishes it';
      throw new VitcError(`pass '${e.pass.name}' requires '${req}', which does not hold here: ${why}; ${providers(req, registry)}`, {
        file: p.source,
        line: 1,
        col: e.col,
      });
    }
    advance(holds, e, droppedBy);
  }
}

/** Runs `p` on `g`: checks the pipeline up front, then each pass with verification and instruments. */
export function runPipeline(g: Graph, p: Pipeline, opts: PassManagerOptions = {}): PipelineResult {
  const holds = detectProperties(g);
  for (const q of opts.initialProperties ?? []) holds.add(q);
  checkPipeline(p, holds, opts.registry);
  const instruments = opts.instruments ?? [];
  const verifyEach = opts.verifyEach ?? true;
  let graph = g;
  p.entries.forEach((entry, index) => {
    const before = graph;
    const ctx: PassContext = { remark: (m) => opts.remarks?.(`remark: ${formatEntry(entry)}: ${m}\n`) };
    const t0 = performance.now();
    const after = runOne(entry, before, ctx);
    const ms = performance.now() - t0;
    if (verifyEach) verifyAfter(entry, before, after, index, p.entries.length);
    if (after !== before) advance(holds, entry);
    else for (const q of establishedBy(entry.pass, entry.options)) holds.add(q);
    for (const ins of instruments) ins.afterPass?.({ entry, index, count: p.entries.length, before, after, ms });
    graph = after;
  });
  for (const ins of instruments) ins.afterPipeline?.();
  return { graph, properties: holds };
}

function runOne(entry: PipelineEntry, g: Graph, ctx: PassContext): Graph {
  const pass = entry.pass;
  try {
    return pass.run(g, entry.options as OptionsOf<OptionSchema>, ctx);
  } catch (e) {
    if (e instanceof VitcError) throw e.withLoc({ context: `in pass '${formatEntry(entry)}'` });
    throw new PassFailure(`pass '${formatEntry(entry)}' crashed: ${e instanceof Error ? e.message : String(e)}`, entry, g, { cause: e });
  }
}

function verifyAfter(entry: PipelineEntry, before: Graph, after: Graph, index: number, count: number): void {
  const where = `pass '${formatEntry(entry)}' (${index + 1}/${count})`;
  // An unchanged graph is not the pass's doing; the properties it claims are checked all the same.
  if (after !== before)
    try {
      verifyGraph(after);
    } catch (e) {
      if (!(e instanceof VitcError)) throw e;
      throw new PassFailure(`${where} produced an invalid graph: ${e.message}`, entry, before, { cause: e });
    }
  for (const q of establishedBy(entry.pass, entry.options)) {
    const problem = PROPERTY_CHECKS[q]?.(after);
    if (problem !== undefined) throw new PassFailure(`${where} claims to establish '${q}', but ${problem}`, entry, before);
  }
}

/** The properties after `e` runs and changes the graph. */
function advance(holds: Set<Property>, e: PipelineEntry, droppedBy?: Map<Property, PipelineEntry>): void {
  for (const q of [...holds])
    if (!preservesProperty(e.pass, q)) {
      holds.delete(q);
      droppedBy?.set(q, e);
    }
  for (const q of establishedBy(e.pass, e.options)) {
    holds.add(q);
    droppedBy?.delete(q);
  }
}

function providers(q: Property, registry: PassRegistry): string {
  const names: string[] = [];
  for (const pass of registry.values())
    for (const est of pass.establishes) {
      if (est === q) names.push(`'${pass.name}'`);
      else if (typeof est !== 'string' && est.property === q) names.push(`'${pass.name}{${est.whenOption}=...}'`);
    }
  return names.length ? `it is established by ${names.join(' or ')}, which must come earlier` : 'no registered pass establishes it';
}
