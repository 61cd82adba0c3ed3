import { VitcError } from '../../ir/errors.js';
import type { Graph } from '../../ir/graph.js';
import { detectProperties } from '../../passes/properties.js';
import type { Instrument, Sink } from '../instruments/instrument.js';
import { checkPipeline, runPipeline } from '../pass-manager.js';
import { type Pipeline, parsePipeline } from '../pipeline.js';
import { PREPARATION_PIPELINE } from '../preparation-pipeline.js';

export interface ApplyPipelineOptions {
  readonly instruments?: readonly Instrument[];
  readonly remarks?: Sink;
  /**
   * When the pipeline's requirements do not hold on the graph, run the preparation passes first
   * (said on `remarks`). `opt` leaves this off: an IR dump shows exactly the passes asked for.
   */
  readonly prepare?: boolean;
  /** --calib FILE.npy: the calibration file of every entry that takes one (attn-to-conv) and has none. */
  readonly calib?: string;
}

/**
 * Runs a user-typed pipeline (empty or absent: the graph as it is). `source` names the option in
 * errors. If preparing does not establish the requirements either, the pipeline's own error stands.
 */
export function applyPipeline(g: Graph, text: string | undefined, source: string, opts: ApplyPipelineOptions = {}): Graph {
  if (text === undefined || text.trim() === '') return g;
  const parsed = parsePipeline(text, source);
  const pipeline = opts.calib === undefined ? parsed : withCalibration(parsed, opts.calib);
  const run = { instruments: opts.instruments ?? [], ...(opts.remarks ? { remarks: opts.remarks } : {}) };
  if (opts.prepare && !holdsRequirements(g, pipeline)) {
    const prepared = runPipeline(g, parsePipeline(PREPARATION_PIPELINE));
    opts.remarks?.(`remark: ran ${PREPARATION_PIPELINE} first: ${source} needs what they establish\n`);
    return runPipeline(prepared.graph, pipeline, { ...run, initialProperties: prepared.properties }).graph;
  }
  return runPipeline(g, pipeline, run).graph;
}

function holdsRequirements(g: Graph, pipeline: Pipeline): boolean {
  try {
    checkPipeline(pipeline, detectProperties(g));
    return true;
  } catch (e) {
    if (e instanceof VitcError) return false;
    throw e;
  }
}

function withCalibration(p: Pipeline, file: string): Pipeline {
  const entries = p.entries.map((e) =>
    'calib' in e.pass.options && (e.options as { calib?: string }).calib === undefined ? { ...e, options: { ...e.options, calib: file } } : e,
  );
  return { ...p, entries };
}
