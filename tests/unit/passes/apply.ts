import { runPipeline } from '../../../compiler/pass-manager.js';
import { parsePipeline } from '../../../compiler/pipeline.js';
import type { Graph } from '../../../ir/graph.js';

/** Runs a pipeline string through the pass manager (verifying after each pass). */
export function applyPipeline(g: Graph, text: string, remarks?: string[]): Graph {
  return runPipeline(g, parsePipeline(text), { remarks: remarks && ((s) => remarks.push(s)) }).graph;
}

export function opNames(g: Graph): string[] {
  return g.nodes.map((n) => n.op.name);
}
