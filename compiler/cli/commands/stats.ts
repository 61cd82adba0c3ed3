import { basename } from 'node:path';
import { modelStats } from '../../model-stats.js';
import { runPipeline } from '../../pass-manager.js';
import { parsePipeline } from '../../pipeline.js';
import { PREPARATION_PIPELINE } from '../../preparation-pipeline.js';
import type { CommandIo } from '../io.js';
import { loadGraph } from '../load-model.js';
import { formatModelStats } from '../stats-table.js';

export interface StatsOptions {
  readonly passes?: string;
  readonly json?: boolean;
}

/** What both graphs are counted after, so attention is one op in both and constants are folded. */
const STATS_PREPARATION = PREPARATION_PIPELINE;

/**
 * `vitc stats MODEL [-p PIPELINE]`: FLOPs per image and tokens per block, with totals, for the
 * model and (with -p) for the model after the pipeline. The pipeline runs after the preparation
 * passes and may rely on what they establish (`-p 'tome{r=8}'` needs no fuse-attention).
 */
export async function statsCommand(model: string, opts: StatsOptions, io: CommandIo): Promise<void> {
  const prepared = runPipeline(await loadGraph(model), parsePipeline(STATS_PREPARATION));
  const pipeline = opts.passes?.trim() ? parsePipeline(opts.passes, '-p') : undefined;
  const reduced = pipeline && runPipeline(prepared.graph, pipeline, { initialProperties: prepared.properties, remarks: io.err }).graph;
  const before = modelStats(prepared.graph);
  const after = reduced && modelStats(reduced);
  if (opts.json) {
    io.out(`${JSON.stringify({ model: basename(model), pipeline: opts.passes ?? null, before, after: after ?? null }, null, 1)}\n`);
    return;
  }
  const title = `${basename(model)}: FLOPs per image (2 per multiply-add; element-wise ops not counted), counted after ${STATS_PREPARATION}${pipeline ? `\npipeline: ${opts.passes}` : ''}`;
  io.out(formatModelStats(title, before, after));
}
