import { randomBytes } from 'node:crypto';
import { CostModel } from '../codegen/tune/cost-model.js';
import { deviceFingerprint, type DeviceFingerprint } from '../codegen/tune/fingerprint.js';
import { describeWorkload, storageBuffersOf, type TuneJob, tuneJobs } from '../codegen/tune/job.js';
import { isDeviceLost, measureCandidate, type Outcome, prepareTrialData, type TrialData } from '../codegen/tune/measure.js';
import { SeededRandom } from '../codegen/tune/random.js';
import { nearestDevices, rankSchedules, recordsByDevice } from '../codegen/tune/apply.js';
import { readRecords, RecordWriter, type TuneRecord, type Warn } from '../codegen/tune/records.js';
import { learn, search, type SearchState, type StopReason } from '../codegen/tune/search.js';
import { canonicalSchedule, inSpace, scheduleKey, scheduleSpace, type ScheduleSpace } from '../codegen/tune/space.js';
import { defaultSchedule } from '../codegen/schedule/defaults.js';
import { type TargetLimits, targetLimitsOf } from '../codegen/schedule/limits.js';
import type { Schedule } from '../codegen/schedule/types.js';
import type { Workload } from '../codegen/workload/types.js';
import type { Graph } from '../ir/graph.js';
import { acquireDevice } from '../runtime/webgpu/adapters.js';
import { compileWebGpu } from './compile-webgpu.js';
import { packageVersion } from './package-info.js';
import { dawnVersion } from './tune-versions.js';

/*
 * The tuning driver: model → unique workloads → per workload, the default schedule measured
 * first, then an evolutionary search within the workload's share of the budget, then the best
 * and the default measured again alternately (so the final comparison is not skewed by the load
 * on the machine at the moment each was first measured). Every measurement is appended to the
 * database as it is taken.
 */

export interface TuneOptions {
  readonly graph: Graph;
  readonly adapter: string;
  readonly db: string;
  /** Measured candidates per workload at most. */
  readonly trials?: number;
  /** Wall-clock budget for the whole run, shared among workloads by their share of the model's time. */
  readonly budgetSeconds?: number;
  /** Skip schedules already measured on this exact device (and start from their results). */
  readonly resume?: boolean;
  readonly batch?: number;
  readonly seed?: number;
  /**
   * How candidates are timed: 'auto' (GPU timestamps where the adapter has them, else host time
   * from submit to onSubmittedWorkDone), or 'cpu' (process CPU time; CPU adapters only — steadier
   * on a machine shared with other work).
   */
  readonly timing?: 'auto' | 'cpu';
  /** Confirmation rounds per workload, each measuring the finalists and the default (default 3). */
  readonly confirmRounds?: number;
  readonly onEvent?: (e: TuneEvent) => void;
  readonly warn?: Warn;
}

export type TuneEvent =
  | { readonly type: 'start'; readonly device: DeviceFingerprint; readonly workloads: readonly WorkloadInfo[] }
  | { readonly type: 'workload'; readonly index: number; readonly info: WorkloadInfo; readonly phase: 'default' | 'search' | 'confirm' }
  | { readonly type: 'trial'; readonly index: number; readonly trial: number; readonly outcome: Outcome; readonly bestMs?: number; readonly defaultMs?: number }
  | { readonly type: 'done'; readonly index: number; readonly summary: WorkloadSummary };

export interface WorkloadInfo {
  readonly key: string;
  readonly description: string;
  readonly tasks: number;
}

export interface WorkloadSummary extends WorkloadInfo {
  readonly defaultMs?: number;
  readonly bestMs?: number;
  readonly best?: Schedule;
  readonly trials: number;
  readonly failed: number;
  readonly stopped: StopReason | 'no-space' | 'default-failed' | 'device-lost';
  readonly spaceSize: number;
}

export interface TuneSummary {
  readonly device: DeviceFingerprint;
  readonly limits: TargetLimits;
  readonly workloads: readonly WorkloadSummary[];
  readonly run: string;
  readonly seconds: number;
  /** Set when the device was lost: the run stopped early. */
  readonly error?: string;
}

interface JobState {
  readonly job: TuneJob;
  readonly info: WorkloadInfo;
  readonly space: ScheduleSpace;
  readonly fallback: Schedule;
  readonly data: TrialData;
  readonly measured: SearchState['measured'];
  defaultMs?: number;
  /** Records written for this workload in this run (the trial numbers). */
  trial: number;
  /** Candidates measured (the default and the search; not the confirmation rounds). */
  candidates: number;
  failed: number;
}

/** Schedules re-measured against the default after each workload's search. */
const CONFIRM_FINALISTS = 3;

export async function tuneModel(opts: TuneOptions): Promise<TuneSummary> {
  const started = performance.now();
  const emit = opts.onEvent ?? (() => undefined);
  const warn = opts.warn ?? (() => undefined);
  const acquired = await acquireDevice({ adapter: opts.adapter, maxLimits: true });
  try {
    const device = acquired.device;
    const limits = targetLimitsOf(device.limits);
    const fingerprint = deviceFingerprint(acquired.fingerprint, dawnVersion());
    const compiled = compileWebGpu(opts.graph, { batch: opts.batch ?? 1, limits });
    const jobs = tuneJobs(compiled.kernelPlan);
    const records = readRecords(opts.db, warn);
    const writer = new RecordWriter(opts.db);
    const run = `${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}-${randomBytes(3).toString('hex')}`;
    const vitc = packageVersion();
    const rng = new SeededRandom(opts.seed ?? 1);
    const models = new Map<Workload['kind'], CostModel>();
    const modelOf = (k: Workload['kind']) => models.get(k) ?? models.set(k, new CostModel({ seed: opts.seed ?? 1 })).get(k)!;

    const states: JobState[] = jobs.map((job, i) => {
      const w = job.workload;
      return {
        job,
        info: { key: job.key, description: describeWorkload(w), tasks: job.tasks.length },
        space: scheduleSpace(w, limits, storageBuffersOf(job)),
        fallback: canonicalSchedule(w, defaultSchedule(w, limits)),
        data: prepareTrialData(job, 3, (opts.seed ?? 1) * 1000 + i),
        measured: new Map(),
        trial: 0,
        candidates: 0,
        failed: 0,
      };
    });
    emit({ type: 'start', device: fingerprint, workloads: states.map((s) => s.info) });

    const record = (st: JobState, schedule: Schedule, outcome: Outcome, phase: TuneRecord['phase']): void => {
      const r: TuneRecord = {
        format: 'vitc-tune-record/1',
        key: st.job.key,
        kind: st.job.workload.kind,
        workload: st.info.description,
        device: fingerprint,
        schedule,
        status: outcome.status,
        medianMs: outcome.status === 'ok' ? outcome.medianMs : null,
        minMs: outcome.status === 'ok' ? outcome.minMs : null,
        samples: outcome.status === 'ok' ? outcome.samplesMs.length : 0,
        method: outcome.status === 'ok' ? outcome.method : null,
        pruned: outcome.status === 'ok' && outcome.pruned,
        isDefault: scheduleKey(schedule) === scheduleKey(st.fallback),
        phase,
        run,
        trial: st.trial++,
        ...(outcome.status !== 'ok' ? { message: outcome.message } : {}),
        at: new Date().toISOString(),
        vitc,
      };
      writer.append(r);
      records.push(r);
      if (outcome.status !== 'ok') st.failed++;
      if (phase !== 'confirm') st.candidates++;
    };
    const measureOn = async (st: JobState, s: Schedule, bestMs: number | undefined, phase: TuneRecord['phase']): Promise<Outcome> => {
      const outcome = await measureCandidate(device, limits, st.job, st.data, s, { ...(bestMs === undefined ? {} : { bestMs }), ...(opts.timing === 'cpu' ? { method: 'cpu' as const } : {}) });
      record(st, s, outcome, phase);
      return outcome;
    };
    const thisDevice = (key: string) => recordsByDevice(records, key).get(fingerprint.id) ?? [];

    const summaries = new Map<number, WorkloadSummary>();
    const summarize = (i: number, stopped: WorkloadSummary['stopped']): WorkloadSummary => {
      const st = states[i]!;
      // The rule apply-best uses: per schedule, the median of its measurements; the fastest wins.
      const ranked = rankSchedules(thisDevice(st.job.key).filter((r) => r.run === run || opts.resume));
      const best = ranked[0];
      const defaultMs = ranked.find((b) => scheduleKey(b.schedule) === scheduleKey(st.fallback))?.medianMs ?? st.defaultMs;
      const s: WorkloadSummary = {
        ...st.info,
        ...(defaultMs !== undefined ? { defaultMs } : {}),
        ...(best ? { bestMs: best.medianMs, best: best.schedule } : {}),
        trials: st.candidates,
        failed: st.failed,
        stopped,
        spaceSize: st.space.points.length,
      };
      summaries.set(i, s);
      emit({ type: 'done', index: i, summary: s });
      return s;
    };

    let lost: string | undefined;
    try {
      // Phase 1: the default of every workload (the reference, and the weights for the time budget).
      for (const [i, st] of states.entries()) {
        if (st.space.points.length === 0) {
          summarize(i, 'no-space');
          continue;
        }
        emit({ type: 'workload', index: i, info: st.info, phase: 'default' });
        const previous = opts.resume ? thisDevice(st.job.key) : [];
        const resumedDefault = previous.filter((r) => r.isDefault && r.phase !== 'search' && r.status === 'ok');
        let outcome: Outcome;
        if (resumedDefault.length > 0) {
          const ms = resumedDefault.map((r) => r.medianMs!).sort((a, b) => a - b)[resumedDefault.length >> 1]!;
          outcome = { status: 'ok', medianMs: ms, minMs: Math.min(...resumedDefault.map((r) => r.minMs!)), samplesMs: [], method: resumedDefault[0]!.method!, pruned: false };
        } else outcome = await measureOn(st, st.fallback, undefined, 'default');
        st.measured.set(scheduleKey(st.fallback), { schedule: st.fallback, outcome });
        emit({ type: 'trial', index: i, trial: st.trial, outcome, ...(outcome.status === 'ok' ? { bestMs: outcome.medianMs, defaultMs: outcome.medianMs } : {}) });
        if (outcome.status === 'ok') st.defaultMs = outcome.medianMs;
        for (const r of previous) {
          const k = scheduleKey(r.schedule);
          if (st.measured.has(k)) continue;
          const o: Outcome = r.status === 'ok' ? { status: 'ok', medianMs: r.medianMs!, minMs: r.minMs!, samplesMs: [], method: r.method ?? 'host', pruned: r.pruned } : { status: r.status, message: r.message ?? '' };
          st.measured.set(k, { schedule: r.schedule, outcome: o });
        }
      }

      // Phase 2: search, heaviest workloads first, each with its share of what is left of the budget.
      const order = states
        .map((st, i) => ({ i, weight: (st.defaultMs ?? 0) * st.info.tasks }))
        .filter(({ i }) => states[i]!.defaultMs !== undefined)
        .sort((a, b) => b.weight - a.weight);
      for (const { i } of states.map((st, i) => ({ st, i })).filter(({ st, i }) => st.space.points.length > 0 && st.defaultMs === undefined && !summaries.has(i))) {
        summarize(i, 'default-failed');
      }
      // Fixed time slots by weight, decided now: a workload that overruns its slot (a slow
      // candidate in flight, the confirmation rounds) eats into the next slot, not into all of
      // them; a workload whose slot has already passed still gets a quarter of it.
      const deadlineAll = opts.budgetSeconds !== undefined ? started + opts.budgetSeconds * 1000 : Infinity;
      const searchStart = performance.now();
      const totalWeight = order.reduce((s, o) => s + o.weight, 0);
      let weightBefore = 0;
      for (const { i, weight } of order) {
        const st = states[i]!;
        const state: SearchState = { workload: st.job.workload, space: st.space, model: modelOf(st.job.workload.kind), defaultMs: st.defaultMs!, measured: st.measured, rng };
        for (const m of st.measured.values()) learn(state, m.schedule, m.outcome);
        const span = Math.max(0, deadlineAll - searchStart);
        const slot = totalWeight > 0 ? (span * weight) / totalWeight : span / order.length;
        weightBefore += weight;
        const slotEnd = totalWeight > 0 ? searchStart + (span * weightBefore) / totalWeight : searchStart + slot;
        const deadline = Number.isFinite(deadlineAll) ? Math.max(slotEnd, performance.now() + slot / 4) : Infinity;
        emit({ type: 'workload', index: i, info: st.info, phase: 'search' });
        const seeds = seedSchedules(records, st, fingerprint);
        const result = await search(
          state,
          async (s, bestMs) => {
            const outcome = await measureOn(st, s, bestMs, 'search');
            const best = [...st.measured.values()].reduce<number | undefined>((b, m) => (m.outcome.status === 'ok' && !m.outcome.pruned && (b === undefined || m.outcome.medianMs < b) ? m.outcome.medianMs : b), outcome.status === 'ok' && !outcome.pruned ? outcome.medianMs : undefined);
            emit({ type: 'trial', index: i, trial: st.trial, outcome, ...(best !== undefined ? { bestMs: best } : {}), defaultMs: st.defaultMs! });
            return outcome;
          },
          { maxTrials: opts.trials ?? Infinity, deadline, seeds },
        );
        // Phase 3: the finalists (the search's few fastest) and the default again, in alternating
        // rounds under the same load; the choice then rests on these measurements only
        // (rankSchedules), not on the search's lucky minimum.
        emit({ type: 'workload', index: i, info: st.info, phase: 'confirm' });
        const finalists = rankSchedules(thisDevice(st.job.key).filter((r) => r.run === run && r.phase !== 'confirm'))
          .map((b) => b.schedule)
          .filter((s) => scheduleKey(s) !== scheduleKey(st.fallback))
          .slice(0, CONFIRM_FINALISTS);
        if (result.best || finalists.length > 0) {
          for (let round = 0; round < (opts.confirmRounds ?? 3); round++) {
            for (const s of finalists) await measureOn(st, s, undefined, 'confirm');
            await measureOn(st, st.fallback, undefined, 'confirm');
          }
        }
        summarize(i, result.stopped);
      }
    } catch (e) {
      if (!isDeviceLost(e)) throw e;
      lost = e instanceof Error ? e.message : String(e);
    }
    const workloads = states.map((st, i) => summaries.get(i) ?? { ...st.info, trials: st.candidates, failed: st.failed, stopped: 'device-lost' as const, spaceSize: st.space.points.length });
    return { device: fingerprint, limits, workloads, run, seconds: (performance.now() - started) / 1000, ...(lost ? { error: lost } : {}) };
  } finally {
    acquired.release();
  }
}

/** The best few schedules of the nearest other device with records for this workload, when they fit here. */
function seedSchedules(records: readonly TuneRecord[], st: JobState, device: DeviceFingerprint): Schedule[] {
  const near = nearestDevices(records, st.job.key, device)[0];
  if (!near) return [];
  return rankSchedules(near.records)
    .map((b) => canonicalSchedule(st.job.workload, b.schedule))
    .filter((s) => inSpace(st.space, s))
    .slice(0, 4);
}
