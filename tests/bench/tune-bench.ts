import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { rankSchedules, recordsByDevice } from '../../codegen/tune/apply.js';
import { readRecords, type TuneRecord } from '../../codegen/tune/records.js';
import { renderReport } from '../../codegen/tune/report.js';
import { scheduleKey } from '../../codegen/tune/space.js';
import { loadGraph } from '../../compiler/cli/load-model.js';
import { compareTuned, formatComparison, type CompareResult } from '../../compiler/tune-compare.js';
import { formatSchedule, formatTuneTable } from '../../compiler/tune-table.js';
import { tuneModel, type TuneSummary } from '../../compiler/tune.js';
import { parseScriptArgs } from './script-args.js';

/*
 * Autotuner benchmark (a script, not a test):
 *   node dist/tests/bench/tune-bench.js [--model M.onnx] [--adapters llvmpipe,swiftshader]
 *        [--budget SECONDS] [--rounds N] [--out DIR] [--resume] [--timing auto|cpu]
 * Per adapter, from a clean database (unless --resume): `vitc tune` with the budget, then the
 * whole model compiled with the default schedules and with the database, timed alternately in
 * one process (wall and process CPU time). Then whether the best schedules differ per device.
 * Writes DIR/<adapter>.jsonl, DIR/report.svg and DIR/summary.json, and prints everything.
 */

const USAGE = `usage: node dist/tests/bench/tune-bench.js [--model M.onnx] [--adapters llvmpipe,swiftshader]
         [--budget SECONDS] [--rounds N] [--out DIR] [--resume] [--timing auto|cpu]`;

const { values } = parseScriptArgs('tune-bench', USAGE, {
  options: {
    model: { type: 'string', default: '.bench/models/vit_ti16.onnx' },
    adapters: { type: 'string', default: 'llvmpipe,swiftshader' },
    budget: { type: 'string', default: '600' },
    rounds: { type: 'string', default: '7' },
    out: { type: 'string', default: '.bench/tune' },
    resume: { type: 'boolean', default: false },
    timing: { type: 'string', default: 'auto' },
  },
});

const out = resolve(values.out);
mkdirSync(out, { recursive: true });
const graph = await loadGraph(values.model);
const adapters = values.adapters.split(',').filter(Boolean);
const budgetSeconds = Number(values.budget);
const results: { adapter: string; summary: TuneSummary; compare: CompareResult; tuneCpuSeconds: number }[] = [];
const log = (s: string) => process.stdout.write(`${s}\n`);

log(`tune-bench ${new Date().toISOString()}: ${values.model}, adapters ${adapters.join(', ')}, budget ${budgetSeconds} s each, timing ${values.timing}`);
for (const adapter of adapters) {
  const db = join(out, `${adapter}.jsonl`);
  if (!values.resume && existsSync(db)) rmSync(db);
  const cpu = process.cpuUsage();
  let last = 0;
  const summary = await tuneModel({
    graph,
    adapter,
    db,
    budgetSeconds,
    resume: values.resume,
    timing: values.timing === 'cpu' ? 'cpu' : 'auto',
    onEvent: (e) => {
      if (e.type === 'start') log(`[${adapter}] ${e.workloads.length} unique workloads (${e.workloads.reduce((s, w) => s + w.tasks, 0)} kernels)`);
      if (e.type === 'done') log(`[${adapter}] ${e.summary.description}: default ${e.summary.defaultMs?.toFixed(3)} ms, best ${e.summary.bestMs?.toFixed(3)} ms, ${e.summary.trials} trials (${e.summary.stopped})`);
      if (e.type === 'trial' && performance.now() - last > 30_000) {
        last = performance.now();
        log(`[${adapter}]   trial ${e.trial}: best ${e.bestMs?.toFixed(3)} ms vs default ${e.defaultMs?.toFixed(3)} ms`);
      }
    },
    warn: (m) => log(`warning: ${m}`),
  });
  const used = process.cpuUsage(cpu);
  const tuneCpuSeconds = (used.user + used.system) / 1e6;
  log(formatTuneTable(summary));
  log(`process CPU time while tuning: ${tuneCpuSeconds.toFixed(0)} s (wall ${summary.seconds.toFixed(0)} s)`);
  const compare = await compareTuned({ graph, adapter, db, rounds: Number(values.rounds) });
  log(formatComparison(compare));
  results.push({ adapter, summary, compare, tuneCpuSeconds });
}

// Do the devices' best schedules differ? Per workload key, the best of each device.
const records: TuneRecord[] = adapters.flatMap((a) => readRecords(join(out, `${a}.jsonl`)));
const keys = [...new Set(records.map((r) => r.key))];
const perKey = keys.map((key) => {
  const best = [...recordsByDevice(records, key).values()].map((rs) => ({ device: rs[0]!.device.name, best: rankSchedules(rs)[0] }));
  const distinct = new Set(best.map((b) => (b.best ? scheduleKey(b.best.schedule) : '-'))).size;
  return { key, workload: records.find((r) => r.key === key)!.workload, best: best.map((b) => ({ device: b.device, schedule: b.best ? formatSchedule(b.best.schedule) : '-', ms: b.best?.medianMs })), differ: distinct > 1 };
});
if (adapters.length > 1) {
  log(`\nbest schedule per device (${perKey.filter((k) => k.differ).length} of ${perKey.length} workloads differ):`);
  for (const k of perKey) log(`  ${k.workload.padEnd(24)} ${k.differ ? 'differ' : 'same  '}  ${k.best.map((b) => `${b.device}: ${b.schedule} (${b.ms?.toFixed(3)} ms)`).join(' | ')}`);
}
log('\nwhole model, tuned vs default (median of alternating runs):');
for (const r of results) {
  const med = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  log(`  ${r.adapter.padEnd(12)} default ${r.compare.defaultMedianMs.toFixed(0)} ms/img, tuned ${r.compare.tunedMedianMs.toFixed(0)} ms/img (${(r.compare.defaultMedianMs / r.compare.tunedMedianMs).toFixed(2)}× wall); CPU ${med(r.compare.defaultCpuMs).toFixed(0)} vs ${med(r.compare.tunedCpuMs).toFixed(0)} ms (${(med(r.compare.defaultCpuMs) / med(r.compare.tunedCpuMs)).toFixed(2)}×); ${r.compare.choices}; tuning ${r.summary.seconds.toFixed(0)} s wall`);
}
writeFileSync(join(out, 'report.svg'), await renderReport(records));
writeFileSync(join(out, 'summary.json'), `${JSON.stringify({ model: values.model, budgetSeconds, results, perKey }, null, 2)}\n`);
log(`wrote ${join(out, 'report.svg')} and summary.json`);
