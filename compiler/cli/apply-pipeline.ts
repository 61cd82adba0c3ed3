import type { Graph } from '../../ir/graph.js';
import type { Instrument, Sink } from '../instruments/instrument.js';
import { runPipeline } from '../pass-manager.js';
import { type Pipeline, parsePipeline } from '../pipeline.js';

/**
 * Runs a user-typed pipeline (empty or absent: the graph as it is). `source` names the option in
 * errors. `calib` (--calib FILE.npy) becomes the calibration file of every pass entry that takes
 * one (attn-to-conv) and was not given its own.
 */
export function applyPipeline(g: Graph, text: string | undefined, source: string, opts: { instruments?: readonly Instrument[]; remarks?: Sink; calib?: string } = {}): Graph {
  if (text === undefined || text.trim() === '') return g;
  const parsed = parsePipeline(text, source);
  const pipeline = opts.calib === undefined ? parsed : withCalibration(parsed, opts.calib);
  return runPipeline(g, pipeline, { instruments: opts.instruments ?? [], ...(opts.remarks ? { remarks: opts.remarks } : {}) }).graph;
}

function withCalibration(p: Pipeline, file: string): Pipeline {
  const entries = p.entries.map((e) =>
    'calib' in e.pass.options && (e.options as { calib?: string }).calib === undefined ? { ...e, options: { ...e.options, calib: file } } : e,
  );
  return { ...p, entries };
}
