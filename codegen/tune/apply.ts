import type { ScheduleChoice, ScheduleChooser, ScheduleSource } from '../emit-webgpu.js';
import type { TargetLimits } from '../schedule/limits.js';
import type { Schedule } from '../schedule/types.js';
import type { Workload } from '../workload/types.js';
import { deviceDistance, type DeviceFingerprint } from './fingerprint.js';
import type { TuneRecord } from './records.js';
import { scheduleKey, scheduleProblem } from './space.js';

/*
 * Apply-best: schedules for a compile from a tuning database. Per workload key: the best
 * schedule measured on the exact device; else the best of the nearest device that has records
 * for the key (deviceDistance), if it is near enough — same vendor and architecture, by default;
 * the best tiles of another kind of device are as likely to be slower than the default as
 * faster —; else the heuristic default. A schedule ever found wrong on a
 * device is never used from that device, and one that does not fit the target's limits is
 * skipped (a nearest device may allow larger workgroups).
 */

/** The best schedule of one device for one workload, aggregated over its measurements. */
export interface BestSchedule {
  readonly schedule: Schedule;
  /** Median over the records of this schedule of their median times. */
  readonly medianMs: number;
  readonly measurements: number;
  readonly device: DeviceFingerprint;
}

/** What the chooser decided for one workload key. */
export interface AppliedChoice {
  readonly key: string;
  readonly source: ScheduleSource;
  readonly schedule?: Schedule;
  readonly medianMs?: number;
  /** The device whose records were used (for 'tuned-nearest', another device). */
  readonly from?: DeviceFingerprint;
  readonly distance?: number;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * Schedules of one device for one key, fastest first, by the median of their measurements; those
 * ever wrong on it are left out. Where confirmation measurements exist, only they count: the
 * search's best time is the least of dozens of noisy samples and so biased low (a 2× "gain" that
 * vanished when re-measured was seen on llvmpipe), while confirmation re-measures the finalists
 * alternately with the default after the choice, which is unbiased.
 */
export function rankSchedules(records: readonly TuneRecord[]): BestSchedule[] {
  const groups = new Map<string, TuneRecord[]>();
  const wrong = new Set<string>();
  const confirmed = records.some((r) => r.phase === 'confirm' && r.status === 'ok' && r.medianMs !== null);
  for (const r of records) {
    const k = scheduleKey(r.schedule);
    if (r.status === 'wrong') wrong.add(k);
    if (r.status !== 'ok' || r.medianMs === null || (confirmed && r.phase !== 'confirm')) continue;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  return [...groups]
    .filter(([k]) => !wrong.has(k))
    .map(([, rs]) => ({ schedule: rs[0]!.schedule, medianMs: median(rs.map((r) => r.medianMs!)), measurements: rs.length, device: rs[0]!.device }))
    .sort((a, b) => a.medianMs - b.medianMs);
}

/** Records of one workload key grouped by device id. */
export function recordsByDevice(records: readonly TuneRecord[], key: string): Map<string, TuneRecord[]> {
  const out = new Map<string, TuneRecord[]>();
  for (const r of records) if (r.key === key) out.set(r.device.id, [...(out.get(r.device.id) ?? []), r]);
  return out;
}

/** Devices with records for `key` other than `device`, nearest first. */
export function nearestDevices(records: readonly TuneRecord[], key: string, device: DeviceFingerprint): { device: DeviceFingerprint; distance: number; records: TuneRecord[] }[] {
  return [...recordsByDevice(records, key).values()]
    .filter((rs) => rs[0]!.device.id !== device.id)
    .map((rs) => ({ device: rs[0]!.device, distance: deviceDistance(device, rs[0]!.device), records: rs }))
    .sort((a, b) => a.distance - b.distance);
}

/**
 * Farthest device whose records a compile borrows: below 4, vendor and architecture match
 * (deviceDistance weighs them 8 and 4); backend, device, driver, limits and features may differ.
 */
export const MAX_BORROW_DISTANCE = 4;

/** The choice for one workload (see the file comment). */
export function chooseSchedule(records: readonly TuneRecord[], w: Workload, key: string, device: DeviceFingerprint, limits: TargetLimits, maxDistance = MAX_BORROW_DISTANCE): AppliedChoice {
  // The binding count does not depend on the schedule, so it cannot tell schedules apart here.
  const fits = (s: Schedule) => s.kind === w.kind && scheduleProblem(w, s, limits, 0) === undefined;
  const byDevice = recordsByDevice(records, key);
  const exact = rankSchedules(byDevice.get(device.id) ?? []).find((b) => fits(b.schedule));
  if (exact) return { key, source: 'tuned-exact', schedule: exact.schedule, medianMs: exact.medianMs, from: exact.device, distance: 0 };
  for (const near of nearestDevices(records, key, device).filter((n) => n.distance < maxDistance)) {
    const best = rankSchedules(near.records).find((b) => fits(b.schedule));
    if (best) return { key, source: 'tuned-nearest', schedule: best.schedule, medianMs: best.medianMs, from: near.device, distance: near.distance };
  }
  return { key, source: 'default' };
}

export interface TunedChooser {
  readonly choose: ScheduleChooser;
  /** What was chosen per workload key so far (in first-use order). */
  readonly applied: ReadonlyMap<string, AppliedChoice>;
}

/** A ScheduleChooser for `compileWebGpu` backed by database records. */
export function tunedChooser(records: readonly TuneRecord[], device: DeviceFingerprint, limits: TargetLimits, maxDistance = MAX_BORROW_DISTANCE): TunedChooser {
  const applied = new Map<string, AppliedChoice>();
  const choose: ScheduleChooser = (w, key): ScheduleChoice | undefined => {
    let c = applied.get(key);
    if (!c) {
      c = chooseSchedule(records, w, key, device, limits, maxDistance);
      applied.set(key, c);
    }
    return c.schedule ? { schedule: c.schedule, source: c.source } : undefined;
  };
  return { choose, applied };
}

/** One line per source for `vitc compile`: "kernels: 60 tuned-exact, 6 default (db: 8 records for 7 devices)". */
export function summarizeChoices(kernels: readonly { readonly source: ScheduleSource }[]): string {
  const counts = new Map<ScheduleSource, number>();
  for (const k of kernels) counts.set(k.source, (counts.get(k.source) ?? 0) + 1);
  return (['tuned-exact', 'tuned-nearest', 'default'] as const)
    .filter((s) => counts.has(s))
    .map((s) => `${counts.get(s)} ${s}`)
    .join(', ');
}
