import type { Schedule } from '../schedule/types.js';
import type { Workload } from '../workload/types.js';
import type { CostModel } from './cost-model.js';
import { features } from './features.js';
import type { Outcome } from './measure.js';
import type { SeededRandom } from './random.js';
import { crossover, inSpace, mutate, scheduleKey, type ScheduleSpace } from './space.js';

/*
 * Evolutionary search over one workload's space, guided by the online cost model.
 * Rounds of `batch` measurements: the first round is the seeds (the nearest device's best
 * schedules), then neighbours of the best schedule measured so far (the default) and random
 * points; every later round breeds a pool from the elite
 * (mutations of the fastest schedules, crossovers between them) plus random points — or the
 * whole unmeasured space when it is small — ranks the pool by the model's lower confidence bound
 * (predicted log time minus kappa standard deviations: exploration of uncertain regions), and
 * measures the best few, each slot replaced with a random pool member with probability epsilon.
 * Stops at the trial budget, the deadline, when the space is exhausted, or when `patience`
 * trials in a row brought no improvement of more than 1% (early stopping).
 */

export interface SearchOptions {
  readonly maxTrials: number;
  /** performance.now() time after which no new measurement starts. */
  readonly deadline: number;
  readonly batch?: number;
  readonly patience?: number;
  readonly epsilon?: number;
  readonly kappa?: number;
  /** Tried first, in order. */
  readonly seeds?: readonly Schedule[];
}

export interface SearchState {
  readonly workload: Workload;
  readonly space: ScheduleSpace;
  /** Shared by the workloads of one class. */
  readonly model: CostModel;
  /** Median time of the default schedule (the model learns log time relative to it). */
  readonly defaultMs: number;
  /** Outcomes so far by schedule key: the default, resumed records; the search adds to it. */
  readonly measured: Map<string, { readonly schedule: Schedule; readonly outcome: Outcome }>;
  readonly rng: SeededRandom;
}

export type StopReason = 'trials' | 'time' | 'converged' | 'exhausted';

export interface SearchResult {
  readonly trials: number;
  readonly stopped: StopReason;
  readonly best?: { readonly schedule: Schedule; readonly medianMs: number };
}

export type Measure = (s: Schedule, bestMs: number | undefined) => Promise<Outcome>;

export function bestOf(measured: SearchState['measured']): { schedule: Schedule; medianMs: number } | undefined {
  let best: { schedule: Schedule; medianMs: number } | undefined;
  for (const { schedule, outcome } of measured.values()) {
    if (outcome.status === 'ok' && !outcome.pruned && (!best || outcome.medianMs < best.medianMs)) best = { schedule, medianMs: outcome.medianMs };
  }
  return best;
}

/** Adds an ok outcome to the cost model (relative log time). */
export function learn(state: SearchState, s: Schedule, o: Outcome): void {
  if (o.status === 'ok' && o.medianMs > 0 && state.defaultMs > 0) state.model.add(features(state.workload, s), Math.log(o.medianMs / state.defaultMs));
}

export async function search(state: SearchState, measure: Measure, options: SearchOptions): Promise<SearchResult> {
  const batch = options.batch ?? 6;
  const patience = options.patience ?? 18;
  const epsilon = options.epsilon ?? 0.15;
  const kappa = options.kappa ?? 1;
  const { space, rng, measured } = state;
  const unmeasured = (s: Schedule) => !measured.has(scheduleKey(s));
  let trials = 0;
  let best = bestOf(measured)?.medianMs;
  let sinceImprovement = 0;

  const run = async (candidates: readonly Schedule[]): Promise<StopReason | undefined> => {
    for (const s of candidates) {
      if (trials >= options.maxTrials) return 'trials';
      if (performance.now() >= options.deadline) return 'time';
      if (!unmeasured(s)) continue;
      const outcome = await measure(s, best);
      measured.set(scheduleKey(s), { schedule: s, outcome });
      learn(state, s, outcome);
      trials++;
      const improved = outcome.status === 'ok' && !outcome.pruned && (best === undefined || outcome.medianMs < best * 0.99);
      if (outcome.status === 'ok' && !outcome.pruned && (best === undefined || outcome.medianMs < best)) best = outcome.medianMs;
      sinceImprovement = improved ? 0 : sinceImprovement + 1;
      if (sinceImprovement >= patience) return 'converged';
    }
    return undefined;
  };

  // First round: the seeds, then for half the round neighbours of the best schedule measured so
  // far (the heuristic default is a strong start: random points of a large space are mostly far
  // slower), then random points.
  const first = [...(options.seeds ?? []).filter((s) => inSpace(space, s))];
  const start = bestOf(measured)?.schedule;
  for (let i = 0; start && inSpace(space, start) && first.length < Math.ceil(batch / 2) && i < 4 * batch; i++) {
    const s = mutate(space, state.workload, start, rng);
    if (unmeasured(s) && !first.some((f) => scheduleKey(f) === scheduleKey(s))) first.push(s);
  }
  while (first.length < batch && first.length < space.points.length) first.push(rng.pick(space.points));
  let stop = await run(dedupe(first.filter(unmeasured)));
  while (!stop) {
    const pool = proposals(state);
    if (pool.length === 0) {
      stop = 'exhausted';
      break;
    }
    stop = await run(pick(state, pool, batch, epsilon, kappa));
  }
  return { trials, stopped: stop, ...(bestOf(measured) ? { best: bestOf(measured)! } : {}) };
}

function dedupe(xs: readonly Schedule[]): Schedule[] {
  const seen = new Set<string>();
  return xs.filter((s) => {
    const k = scheduleKey(s);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Unmeasured candidates bred from the elite, plus random ones (all of them in a small space). */
function proposals(state: SearchState): Schedule[] {
  const { space, rng, measured, workload } = state;
  const open = (s: Schedule) => !measured.has(scheduleKey(s));
  if (space.points.length <= 256) return space.points.filter(open);
  const ok = [...measured.values()]
    .filter((m) => m.outcome.status === 'ok')
    .sort((a, b) => (a.outcome.status === 'ok' && b.outcome.status === 'ok' ? a.outcome.medianMs - b.outcome.medianMs : 0))
    .map((m) => m.schedule)
    .filter((s) => s.kind === workload.kind);
  const elite = ok.slice(0, 5);
  const pool: Schedule[] = [];
  if (elite.length > 0) {
    for (let i = 0; i < 96; i++) pool.push(mutate(space, workload, rng.pick(elite), rng));
    for (let i = 0; i < 24 && elite.length > 1; i++) pool.push(crossover(space, workload, rng.pick(elite), rng.pick(elite), rng));
  }
  for (let i = 0; i < 64; i++) pool.push(rng.pick(space.points));
  const fresh = dedupe(pool.filter(open));
  if (fresh.length > 0) return fresh;
  return space.points.filter(open);
}

/** The `batch` most promising by lower confidence bound, with epsilon-random exploration. */
function pick(state: SearchState, pool: readonly Schedule[], batch: number, epsilon: number, kappa: number): Schedule[] {
  const { model, rng, workload } = state;
  model.fit();
  let ranked = [...pool];
  if (model.trained) {
    const predictions = model.predict(pool.map((s) => features(workload, s)));
    const score = new Map(pool.map((s, i) => [s, predictions[i]!.mean - kappa * predictions[i]!.std]));
    ranked = ranked.sort((a, b) => score.get(a)! - score.get(b)!);
  } else {
    ranked = ranked.map((s) => ({ s, r: rng.next() })).sort((a, b) => a.r - b.r).map((x) => x.s);
  }
  const chosen: Schedule[] = [];
  const rest = new Set(ranked);
  let next = 0;
  while (chosen.length < batch && rest.size > 0) {
    let s: Schedule;
    if (rng.next() < epsilon) s = rng.pick([...rest]);
    else {
      while (!rest.has(ranked[next]!)) next++;
      s = ranked[next]!;
    }
    rest.delete(s);
    chosen.push(s);
  }
  return chosen;
}
