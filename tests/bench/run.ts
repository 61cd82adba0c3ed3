import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { VitcError } from '../../ir/errors.js';
import { ADAPTER_NAMES, openAdapterSource, type AdapterName, type AdapterSource } from './dawn-adapters.js';
import { measureModel, type ModelResult, type Participant } from './harness.js';
import { DEBIAN_PACKAGES } from './export-deps.js';
import { EXPORTABLE, fixtureModels, prepareModel, resolveModels, type ModelRef } from './models.js';
import { ortWasmParticipant, ortWebGpuParticipant } from './peers/ort-web.js';
import { markdownTable, summaryTable } from './table.js';
import { vitcParticipant } from './vitc-participant.js';

/*
 * `npm run bench` (node dist/tests/bench/run.js): measures every participant on every model,
 * alternating runs (see harness.ts), and prints a Markdown table on stdout; progress goes to
 * stderr. A benchmark script, not a test: nothing here asserts.
 */

/** Participants by name: per-adapter ones get each chosen adapter, the others run once ('cpu'). */
const PARTICIPANTS: Record<string, { perAdapter: true; make(source: AdapterSource): Participant } | { perAdapter: false; make(): Participant }> = {
  vitc: { perAdapter: true, make: (s) => vitcParticipant(s) },
  'ort-webgpu': { perAdapter: true, make: (s) => ortWebGpuParticipant(s, 'jsep') },
  'ort-webgpu-native': { perAdapter: true, make: (s) => ortWebGpuParticipant(s, 'native') },
  'ort-wasm': { perAdapter: false, make: () => ortWasmParticipant() },
};

const DEFAULT_PARTICIPANTS = ['vitc', 'ort-webgpu', 'ort-wasm'] as const;

interface Options {
  models?: string[];
  adapters: AdapterName[];
  participants: string[];
  rounds?: number;
  warmup?: number;
  budget?: number;
  quick?: boolean;
  baseline: string[];
  check: boolean;
  install: boolean;
  isolate: boolean;
  json?: string;
}

function list<T extends string>(allowed?: readonly T[]) {
  return (value: string): T[] => {
    const items = value.split(',').map((s) => s.trim()).filter(Boolean) as T[];
    const bad = allowed ? items.filter((i) => !allowed.includes(i)) : [];
    if (bad.length) throw new InvalidArgumentError(`unknown ${bad.join(', ')} (choose from ${allowed!.join(', ')})`);
    return items;
  };
}

function count(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number');
  return n;
}

async function main(): Promise<void> {
  const program = new Command('bench')
    .description('Measure vitc and its peers (onnxruntime-web WebGPU and wasm EPs) on the same Dawn adapters')
    .option('-m, --models <list>', `models: ${EXPORTABLE.join(', ')}, fixture names (tests/fixtures/*.onnx) or .onnx paths (default: all fixtures and ${EXPORTABLE[0]})`, list())
    .option('-a, --adapters <list>', `Dawn adapters (${ADAPTER_NAMES.join(', ')})`, list(ADAPTER_NAMES), [...ADAPTER_NAMES])
    .option('-p, --participants <list>', `participants (${Object.keys(PARTICIPANTS).join(', ')})`, list(Object.keys(PARTICIPANTS)), [...DEFAULT_PARTICIPANTS])
    .option('-r, --rounds <n>', 'timed rounds per model, at most (default 10; quick 3)', count)
    .option('-w, --warmup <n>', 'untimed rounds after the first inference (default 1)', count)
    .option('-b, --budget <seconds>', 'stop starting timed rounds after this long per model (default 300; quick 30)', count)
    .option('-q, --quick', '3 rounds, 30 s budget; default models: the smallest fixture only')
    .option('--baseline <list>', 'participants the ratio columns are taken against', list(Object.keys(PARTICIPANTS)), ['ort-webgpu', 'ort-wasm'])
    .option('--no-check', 'skip comparing outputs with onnxruntime-node')
    .option('--no-isolate', 'measure all models in this process (later models then start with warm shader caches)')
    .option('--no-install', `never apt-get install ${DEBIAN_PACKAGES.join(', ')} (needed to export ${EXPORTABLE.join(', ')} when missing)`)
    .option('--json <file>', 'also write the raw results as JSON')
    .parse();
  const opts = program.opts<Options>();
  const log = (line: string): void => void process.stderr.write(`[bench] ${line}\n`);

  const quick = opts.quick ?? false;
  const fixtures = fixtureModels();
  const smallest = [...fixtures].sort((a, b) => statSync(a.path).size - statSync(b.path).size)[0];
  // The full-width EfficientViT/LowFormer exports are measured when named (-m), not by default.
  const defaultModels = quick ? [smallest?.name ?? EXPORTABLE[0]] : [...fixtures.map((f) => f.name), EXPORTABLE[0]];
  const models = resolveModels(opts.models ?? defaultModels, log, opts.install);
  const rounds = opts.rounds ?? (quick ? 3 : 10);
  // One warm-up even when quick: ORT's second run on a fresh device is still several times slower than the rest.
  const warmup = opts.warmup ?? 1;
  const budgetMs = 1000 * (opts.budget ?? (quick ? 30 : 300));

  const settings: Settings = { ...opts, rounds, warmup, budgetMs };
  const loadBefore = loadavg()[0]!;
  const results: ModelResult[] = [];
  const jobs = opts.isolate ? isolatedJobs(models, settings) : [];
  if (jobs.length > 1) {
    for (const job of jobs) results.push(...measureInChild(job));
  } else {
    results.push(...(await measureHere(models, settings, log)));
  }
  const loadAfter = loadavg()[0]!;

  const cmd = ['npm run bench --', ...process.argv.slice(2)].join(' ');
  process.stdout.write(
    `\n${cmd}\n` +
      `${cpus().length} cores (${cpus()[0]?.model ?? '?'}), load average ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after; ` +
      `rounds ≤ ${rounds} alternating, warm-up ${warmup}, budget ${budgetMs / 1000} s per model\n\n` +
      summary(mergeByModel(results), opts.participants) +
      `${markdownTable(mergeByModel(results), opts.baseline)}\n`,
  );
  if (opts.json) writeFileSync(opts.json, JSON.stringify({ command: cmd, loadBefore, loadAfter, results: mergeByModel(results) }, null, 2));
}

interface Settings extends Options {
  rounds: number;
  warmup: number;
  budgetMs: number;
}

async function measureHere(models: readonly ModelRef[], settings: Settings, log: (line: string) => void): Promise<ModelResult[]> {
  const sources: AdapterSource[] = [];
  if (settings.participants.some((p) => PARTICIPANTS[p]!.perAdapter)) {
    for (const name of settings.adapters) {
      const source = await openAdapterSource(name);
      log(`adapter ${name}: ${source.description}`);
      sources.push(source);
    }
  }
  const participants: Participant[] = [];
  for (const name of settings.participants) {
    const entry = PARTICIPANTS[name]!;
    if (entry.perAdapter) for (const s of sources) participants.push(entry.make(s));
    else participants.push(entry.make());
  }
  const { rounds, warmup, budgetMs } = settings;
  const results: ModelResult[] = [];
  for (const ref of models) {
    const { model, reference } = await prepareModel(ref, settings.check);
    log(`${model.name}: inputs ${[...model.inputs].map(([n, t]) => `${n}[${t.shape.join(',')}]`).join(' ')}`);
    results.push(await measureModel(model, participants, { rounds, warmup, budgetMs, log, ...(reference ? { reference } : {}) }));
  }
  return results;
}

/**
 * One fresh process per model × adapter (the participants without an adapter, like the wasm EP,
 * join the first adapter's). Both llvmpipe and SwiftShader keep compiled shaders for the life of
 * a process, and V8 keeps a wasm module it has compiled once (ORT's second session on a fresh
 * device starts in 0.4 s instead of 75 s): without this only the first model and adapter of a
 * run would be a cold start.
 */
function isolatedJobs(models: readonly ModelRef[], s: Settings): Settings[] {
  const perAdapter = s.participants.filter((p) => PARTICIPANTS[p]!.perAdapter);
  const others = s.participants.filter((p) => !PARTICIPANTS[p]!.perAdapter);
  const jobs: Settings[] = [];
  for (const ref of models) {
    if (perAdapter.length === 0) {
      jobs.push({ ...s, models: [ref.path], participants: others });
      continue;
    }
    s.adapters.forEach((adapter, i) => {
      jobs.push({ ...s, models: [ref.path], adapters: [adapter], participants: i === 0 ? [...perAdapter, ...others] : perAdapter });
    });
  }
  return jobs;
}

/** Runs one job in a child process (`--no-isolate`) and reads its results back. */
function measureInChild(job: Settings): ModelResult[] {
  const dir = mkdtempSync(join(tmpdir(), 'vitc-bench-'));
  const json = join(dir, 'result.json');
  try {
    const args = [
      fileURLToPath(import.meta.url),
      '--models', job.models!.join(','),
      '--adapters', job.adapters.join(','),
      '--participants', job.participants.join(','),
      '--rounds', String(job.rounds),
      '--warmup', String(job.warmup),
      '--budget', String(job.budgetMs / 1000),
      '--baseline', job.baseline.join(','),
      '--no-isolate',
      '--json', json,
      ...(job.check ? [] : ['--no-check']),
    ];
    const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    if (r.status !== 0) throw new VitcError(`measuring ${job.models!.join(',')} in a child process failed (exit ${r.status ?? r.signal})`);
    return (JSON.parse(readFileSync(json, 'utf8')) as { results: ModelResult[] }).results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** vitc next to its peers, one line per model × adapter (only when vitc was measured). */
function summary(results: readonly ModelResult[], participants: readonly string[]): string {
  if (!participants.includes('vitc')) return '';
  return `${summaryTable(results, 'vitc', participants.filter((p) => p !== 'vitc'))}\n\n`;
}

/** Children report one model × adapter each: one table section per model. */
function mergeByModel(results: readonly ModelResult[]): ModelResult[] {
  const merged = new Map<string, ModelResult>();
  for (const r of results) {
    const prev = merged.get(r.model);
    merged.set(r.model, prev ? { ...prev, rounds: Math.max(prev.rounds, r.rounds), participants: [...prev.participants, ...r.participants] } : r);
  }
  return [...merged.values()];
}

/**
 * Suites with their own tables: `npm run bench -- SUITE [options]`. Without a suite name, the
 * model benchmark above (vitc against onnxruntime-web per model and adapter).
 */
const SUITES: Readonly<Record<string, () => Promise<{ main(args: readonly string[]): Promise<void> }>>> = {
  tokens: () => import('./tokens.js'),
};

const suite = SUITES[process.argv[2] ?? ''];
(suite ? suite().then((s) => s.main(process.argv.slice(3))) : main()).then(
  // ORT's wasm modules and Dawn keep handles open; the run is over.
  () => process.exit(0),
  (e: unknown) => {
    if (e instanceof VitcError) {
      process.stderr.write(`bench: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  },
);
