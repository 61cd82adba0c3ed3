import { writeFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { readRecords } from '../../../codegen/tune/records.js';
import { renderReport } from '../../../codegen/tune/report.js';
import { VitcError } from '../../../ir/errors.js';
import type { Graph } from '../../../ir/graph.js';
import { importOnnxFile } from '../../../ir/onnx/index.js';
import { readVir } from '../../../ir/text/index.js';
import { compareTuned, formatComparison } from '../../tune-compare.js';
import { tuneProgress } from '../../tune-progress.js';
import { formatTuneTable } from '../../tune-table.js';
import { tuneModel } from '../../tune.js';

/*
 * `vitc tune MODEL --target webgpu --adapter A --db DB [--trials N | --budget 10m] [--resume] [--batch B]`
 * `vitc tune --report DB -o plot.svg`
 * Register with `registerTuneCommand(program)`; run the program with `parseAsync` (the action is async).
 */

export interface TuneCommandIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

const STDIO: TuneCommandIo = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

interface TuneCommandOptions {
  readonly target: string;
  readonly adapter: string;
  readonly db?: string;
  readonly trials?: number;
  readonly budget?: number;
  readonly resume?: boolean;
  readonly batch: number;
  readonly seed: number;
  readonly compare?: number;
  readonly report?: string;
  readonly output?: string;
}

/** "10m", "90s", "1h30m", "45" (seconds) → seconds. */
export function parseDuration(text: string): number {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t);
  const m = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(t);
  if (!m || t === '' || (!m[1] && !m[2] && !m[3])) throw new InvalidArgumentError(`expected a duration like 10m, 90s or 1h30m, got "${text}"`);
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

function positiveInt(what: string) {
  return (text: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${what} must be a non-negative integer, got "${text}"`);
    return n;
  };
}

function loadModel(path: string): Graph {
  return path.endsWith('.vir') ? readVir(path) : importOnnxFile(path);
}

export function registerTuneCommand(program: Command, io: TuneCommandIo = STDIO): Command {
  return program
    .command('tune')
    .description('tune kernel schedules for a WebGPU adapter, measured on it, into a records database; or plot a database (--report)')
    .argument('[model]', 'ONNX (.onnx) or vitc text IR (.vir) model')
    .option('--target <target>', 'code generation target (webgpu)', 'webgpu')
    .option('--adapter <adapter>', "WebGPU adapter: auto, llvmpipe, swiftshader, or part of an adapter's name", 'auto')
    .option('--db <file>', 'tuning records database (JSON Lines; appended to)')
    .option('--trials <n>', 'measure at most N candidate schedules per unique workload', positiveInt('--trials'))
    .option('--budget <time>', 'wall-clock budget for the whole run (10m, 90s, 1h30m), shared by workload weight', parseDuration)
    .option('--resume', 'skip schedules already measured on this exact device and continue from their results')
    .option('--batch <n>', 'batch size the kernels are specialised for', positiveInt('--batch'), 1)
    .option('--seed <n>', 'random seed of the search', positiveInt('--seed'), 1)
    .option('--compare <rounds>', 'afterwards, time the whole model default vs tuned, alternately, this many rounds', positiveInt('--compare'))
    .option('--report <db>', 'plot best-so-far time against trials from a database instead of tuning')
    .option('-o, --output <file>', 'SVG file for --report')
    .action(async (model: string | undefined, opts: TuneCommandOptions) => {
      if (opts.report) {
        if (!opts.output) throw new VitcError('--report needs -o FILE.svg', { context: 'tune' });
        const records = readRecords(opts.report, (m) => io.err(`warning: ${m}\n`));
        if (records.length === 0) throw new VitcError('has no tuning records', { file: opts.report });
        writeFileSync(opts.output, await renderReport(records));
        io.err(`wrote ${opts.output} (${records.length} records)\n`);
        return;
      }
      if (!model) throw new VitcError('give a MODEL to tune, or --report DB -o plot.svg', { context: 'tune' });
      if (opts.target !== 'webgpu') throw new VitcError(`tuning supports --target webgpu, not ${opts.target}`, { context: 'tune' });
      if (!opts.db) throw new VitcError('--db FILE is required: the tuning records are appended there', { context: 'tune' });
      if (opts.batch < 1) throw new VitcError('--batch must be at least 1', { context: 'tune' });
      const graph = loadModel(model);
      const progress = tuneProgress();
      const warn = (m: string) => io.err(`warning: ${m}\n`);
      const summary = await tuneModel({
        graph,
        adapter: opts.adapter,
        db: opts.db,
        // Neither limit given: a modest default per workload.
        ...(opts.trials !== undefined ? { trials: opts.trials } : opts.budget === undefined ? { trials: 32 } : {}),
        ...(opts.budget !== undefined ? { budgetSeconds: opts.budget } : {}),
        resume: opts.resume === true,
        batch: opts.batch,
        seed: opts.seed,
        onEvent: progress.onEvent,
        warn,
      }).finally(progress.stop);
      io.out(`${formatTuneTable(summary)}\n`);
      if (opts.compare) io.out(`${formatComparison(await compareTuned({ graph, adapter: opts.adapter, db: opts.db, batch: opts.batch, rounds: opts.compare, warn }))}\n`);
    });
}
