import { performance } from 'node:perf_hooks';
import type { Tensor } from '../../ir/tensor.js';
import { compareTensors, type Difference } from '../../runtime/compare.js';
import { keepEventLoopAlive, waitUntilIdle, type IdleOptions } from './process-quiet.js';
import { summarize, type Summary } from './stats.js';

/*
 * The measurement loop of `npm run bench`. Participants (vitc, onnxruntime-web's WebGPU and wasm
 * execution providers, ...) are measured on one model at a time and ALTERNATELY: one timed run
 * of each participant per round, so a load spike from another process or a thermal change hits
 * all of them alike instead of whichever happened to run then. The first participant of a round
 * rotates, so none always runs right after the same neighbour.
 */

export type Tensors = ReadonlyMap<string, Tensor>;

/** A model as the bench hands it to participants. */
export interface BenchModel {
  /** Short name used in tables and --models (file name without .onnx). */
  readonly name: string;
  /** The .onnx file. */
  readonly path: string;
  /** The fixed input every participant runs (same values for all, every round). */
  readonly inputs: Tensors;
  /** Images per run: times are reported per image. */
  readonly batch: number;
}

/** A participant ready to run one model. */
export interface PreparedRun {
  /** Runs the model once, inputs from host memory to outputs in host memory. */
  run(inputs: Tensors): Promise<Tensors>;
  release(): Promise<void>;
  /** What the participant ended up running on, as the runtime reports it (adapter description). */
  readonly device?: string;
  /** Part of setup spent in an ahead-of-time compiler (vitc's import, passes and codegen), if it has one. */
  readonly compileMs?: number;
}

/** One contender. Measured per model: setup(model), then run() repeatedly. */
export interface Participant {
  /** e.g. 'vitc', 'ort-webgpu', 'ort-wasm'. With `adapter` it identifies the table row. */
  readonly name: string;
  /** 'llvmpipe', 'swiftshader', or 'cpu' for participants that use no WebGPU adapter. */
  readonly adapter: string;
  /** Everything before the first run: load, compile, create sessions. Counted in time-to-first-inference. */
  setup(model: BenchModel): Promise<PreparedRun>;
}

export interface MeasureOptions {
  /** Timed rounds to run at most. */
  readonly rounds: number;
  /** Untimed rounds after the first inference. */
  readonly warmup: number;
  /** Stop starting timed rounds once this many ms of timed rounds have passed (at least one round runs). */
  readonly budgetMs: number;
  /** Outputs to check every participant's first-inference outputs against (onnxruntime-node's). */
  readonly reference?: Tensors;
  readonly rtol?: number;
  readonly atol?: number;
  /** Progress lines (stderr in the CLI). */
  readonly log?: (line: string) => void;
  /** Clock in ms (tests pass a fake one). */
  readonly now?: () => number;
  /**
   * Before warm-up, wait for the process to go quiet (background wasm and shader compilers);
   * false skips the wait (tests). See process-quiet.ts.
   */
  readonly settle?: IdleOptions | false;
}

export interface OutputCheck {
  readonly output: string;
  readonly diff: Difference;
}

export interface ParticipantResult {
  readonly name: string;
  readonly adapter: string;
  readonly device?: string;
  /** Set when setup or a run threw; timings then cover only what finished. */
  readonly error?: string;
  readonly setupMs?: number;
  /** Part of setupMs spent compiling ahead of time (vitc only). */
  readonly compileMs?: number;
  readonly firstRunMs?: number;
  /** Timed runs in ms per run (not per image). */
  readonly runsMs: readonly number[];
  /** Timed runs in ms per image. */
  readonly perImage: Summary;
  readonly checks: readonly OutputCheck[];
}

export interface ModelResult {
  readonly model: string;
  readonly batch: number;
  readonly rounds: number;
  readonly participants: readonly ParticipantResult[];
}

interface Live {
  readonly p: Participant;
  prepared?: PreparedRun;
  error?: string;
  setupMs?: number;
  firstRunMs?: number;
  readonly runsMs: number[];
  checks: OutputCheck[];
}

/** Measures all participants on one model; never throws for a participant's failure. */
export async function measureModel(model: BenchModel, participants: readonly Participant[], opts: MeasureOptions): Promise<ModelResult> {
  const release = keepEventLoopAlive();
  try {
    return await measure(model, participants, opts);
  } finally {
    release();
  }
}

async function measure(model: BenchModel, participants: readonly Participant[], opts: MeasureOptions): Promise<ModelResult> {
  const log = opts.log ?? (() => {});
  const now = opts.now ?? (() => performance.now());
  const live: Live[] = participants.map((p) => ({ p, runsMs: [], checks: [] }));

  const settle = async (): Promise<void> => {
    if (opts.settle === false) return;
    const { waitedMs, idle } = await waitUntilIdle(opts.settle);
    if (waitedMs > 1000 || !idle) log(`${model.name}: ${idle ? 'process quiet' : 'process still busy'} after ${fmt(waitedMs)} ms of background work`);
  };

  // Time to first inference, one participant after the other (a cold start cannot alternate),
  // each starting on a quiet process: not while V8 still optimises the previous one's wasm.
  for (const l of live) {
    await settle();
    log(`${model.name}: ${label(l.p)}: setup and first inference`);
    const t0 = now();
    try {
      l.prepared = await l.p.setup(model);
      const t1 = now();
      l.setupMs = t1 - t0;
      const out = await l.prepared.run(model.inputs);
      l.firstRunMs = now() - t1;
      if (opts.reference) l.checks = checkOutputs(out, opts.reference, opts.rtol ?? 1e-3, opts.atol ?? 1e-3);
      const compile = l.prepared.compileMs !== undefined ? ` (compile ${fmt(l.prepared.compileMs)} ms)` : '';
      log(`${model.name}: ${label(l.p)}: setup ${fmt(l.setupMs)} ms${compile}, first run ${fmt(l.firstRunMs)} ms on ${l.prepared.device ?? l.p.adapter}`);
    } catch (e) {
      l.error = errorText(e);
      log(`${model.name}: ${label(l.p)}: FAILED: ${l.error}`);
    }
  }

  const round = async (r: number, timed: boolean): Promise<void> => {
    const order = rotate(live, r);
    for (const l of order) {
      if (l.error || !l.prepared) continue;
      try {
        const t = now();
        await l.prepared.run(model.inputs);
        if (timed) l.runsMs.push(now() - t);
      } catch (e) {
        l.error = errorText(e);
        log(`${model.name}: ${label(l.p)}: FAILED in round ${r}: ${l.error}`);
      }
    }
  };

  if (live.some(ok)) await settle();
  for (let r = 0; r < opts.warmup && live.some(ok); r++) await round(r, false);
  const start = now();
  let rounds = 0;
  while (rounds < opts.rounds && live.some(ok) && (rounds === 0 || now() - start < opts.budgetMs)) {
    await round(rounds, true);
    rounds++;
    log(`${model.name}: round ${rounds}: ${live.filter(ok).map((l) => `${label(l.p)} ${fmt(l.runsMs.at(-1)! / model.batch)}`).join(', ')} ms/img`);
  }

  for (const l of live) {
    try {
      await l.prepared?.release();
    } catch {
      // A failed release does not change the measurement.
    }
  }

  return {
    model: model.name,
    batch: model.batch,
    rounds,
    participants: live.map((l) => ({
      name: l.p.name,
      adapter: l.p.adapter,
      ...(l.prepared?.device !== undefined ? { device: l.prepared.device } : {}),
      ...(l.error !== undefined ? { error: l.error } : {}),
      ...(l.setupMs !== undefined ? { setupMs: l.setupMs } : {}),
      ...(l.prepared?.compileMs !== undefined ? { compileMs: l.prepared.compileMs } : {}),
      ...(l.firstRunMs !== undefined ? { firstRunMs: l.firstRunMs } : {}),
      runsMs: l.runsMs,
      perImage: summarize(l.runsMs.map((ms) => ms / model.batch)),
      checks: l.checks,
    })),
  };
}

function checkOutputs(actual: Tensors, reference: Tensors, rtol: number, atol: number): OutputCheck[] {
  const checks: OutputCheck[] = [];
  for (const [name, expected] of reference) {
    const got = actual.get(name);
    const diff: Difference = got
      ? compareTensors(got, expected, rtol, atol)
      : { maxAbs: Infinity, maxRel: Infinity, mismatches: expected.size, count: expected.size, incompatible: 'output missing' };
    checks.push({ output: name, diff });
  }
  return checks;
}

function ok(l: Live): boolean {
  return !l.error && l.prepared !== undefined;
}

function rotate<T>(xs: readonly T[], by: number): T[] {
  const k = xs.length ? by % xs.length : 0;
  return [...xs.slice(k), ...xs.slice(0, k)];
}

export function label(p: { name: string; adapter: string }): string {
  return `${p.name}@${p.adapter}`;
}

function fmt(ms: number): string {
  return ms >= 100 ? ms.toFixed(0) : ms.toFixed(1);
}

function errorText(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0]!.slice(0, 300);
}
