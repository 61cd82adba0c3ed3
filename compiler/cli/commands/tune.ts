import { writeFileSync } from 'node:fs';
import { readRecords } from '../../../codegen/tune/records.js';
import { renderReport } from '../../../codegen/tune/report.js';
import { VitcError } from '../../../ir/errors.js';
import { compareTuned, formatComparison } from '../../tune-compare.js';
import { tuneProgress } from '../../tune-progress.js';
import { formatTuneTable } from '../../tune-table.js';
import { tuneModel } from '../../tune.js';
import type { CommandIo } from '../io.js';
import { loadGraph } from '../load-model.js';
import { checkTarget } from '../targets.js';

/** What `vitc tune` can tune for: kernels are measured on the device itself. */
export const TUNE_TARGETS = ['webgpu'] as const;

export interface TuneCommandOptions {
  readonly target: string;
  readonly adapter: string;
  readonly db?: string;
  readonly trials?: number;
  readonly budget?: number;
  readonly resume?: boolean;
  readonly batch: number;
  readonly seed: number;
  readonly timing: string;
  readonly compare?: number;
  readonly report?: string;
  readonly output?: string;
}

/** Per unique workload when neither --trials nor --budget is given. */
const DEFAULT_TRIALS = 32;

/**
 * `vitc tune MODEL --target webgpu --adapter A --db DB [--trials N | --budget 10m] [--resume]`,
 * or `vitc tune --report DB -o plot.svg`.
 */
export async function tuneCommand(model: string | undefined, opts: TuneCommandOptions, io: CommandIo): Promise<void> {
  const warn = (m: string) => io.err(`warning: ${m}\n`);
  if (opts.report) {
    if (model) throw new VitcError('--report plots a database; give no MODEL with it', { context: 'tune' });
    if (!opts.output) throw new VitcError('--report needs -o FILE.svg', { context: 'tune' });
    const records = readRecords(opts.report, warn);
    if (records.length === 0) throw new VitcError('has no tuning records', { file: opts.report });
    writeFileSync(opts.output, await renderReport(records));
    io.err(`wrote ${opts.output} (${records.length} records)\n`);
    return;
  }
  if (!model) throw new VitcError('give a MODEL to tune, or --report DB -o plot.svg', { context: 'tune' });
  checkTarget(opts.target, TUNE_TARGETS, 'tune');
  if (opts.timing !== 'auto' && opts.timing !== 'cpu') throw new VitcError(`must be auto or cpu, not '${opts.timing}'`, { context: '--timing' });
  if (!opts.db) throw new VitcError('--db FILE is required: the tuning records are appended there', { context: 'tune' });
  if (opts.output) throw new VitcError('-o goes with --report', { context: 'tune' });
  const graph = await loadGraph(model);
  const progress = tuneProgress();
  const summary = await tuneModel({
    graph,
    adapter: opts.adapter,
    db: opts.db,
    ...(opts.trials !== undefined ? { trials: opts.trials } : opts.budget === undefined ? { trials: DEFAULT_TRIALS } : {}),
    ...(opts.budget !== undefined ? { budgetSeconds: opts.budget } : {}),
    resume: opts.resume === true,
    batch: opts.batch,
    seed: opts.seed,
    timing: opts.timing,
    onEvent: progress.onEvent,
    warn,
  }).finally(progress.stop);
  io.out(`${formatTuneTable(summary)}\n`);
  if (opts.compare) io.out(`${formatComparison(await compareTuned({ graph, adapter: opts.adapter, db: opts.db, batch: opts.batch, rounds: opts.compare, warn }))}\n`);
}
