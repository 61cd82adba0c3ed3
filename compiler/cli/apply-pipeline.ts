import type { Graph } from '../../ir/graph.js';
import type { Instrument, Sink } from '../instruments/instrument.js';
import { runPipeline } from '../pass-manager.js';
import { parsePipeline } from '../pipeline.js';

/** Runs a user-typed pipeline (empty or absent: the graph as it is). `source` names the option in errors. */
export function applyPipeline(g: Graph, text: string | undefined, source: string, opts: { instruments?: readonly Instrument[]; remarks?: Sink } = {}): Graph {
  if (text === undefined || text.trim() === '') return g;
  return runPipeline(g, parsePipeline(text, source), { instruments: opts.instruments ?? [], ...(opts.remarks ? { remarks: opts.remarks } : {}) }).graph;
}
