import { appendFileSync, closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import type { Schedule } from '../schedule/types.js';
import type { Workload } from '../workload/types.js';
import type { DeviceFingerprint } from './fingerprint.js';

/*
 * The tuning database: a JSON Lines file, one record per measurement, only ever appended to.
 *
 * Why appends are safe without locks: each record is one line written by one appendFileSync
 * call, i.e. one write(2) on a descriptor opened with O_APPEND. On a local file system the kernel
 * moves to the end of the file and writes under the inode lock, so lines of concurrent tuners
 * never interleave and nothing is overwritten. A tuner killed mid-write leaves at most a
 * partial last line — the record in flight. Readers skip lines that do not parse (with a warning)
 * and, because every record starts with the same `{"format":"vitc-tune-record/1"` prefix,
 * recover a complete record that a later writer appended right after such a partial line.
 * Writers also start with a newline when the file does not end with one. (Network file systems
 * do not promise atomic appends; keep the database on a local disk.)
 */

export const RECORD_FORMAT = 'vitc-tune-record/1';
const RECORD_PREFIX = `{"format":"${RECORD_FORMAT}"`;

export type TrialStatus = 'ok' | 'wrong' | 'error';

export interface TuneRecord {
  readonly format: typeof RECORD_FORMAT;
  readonly key: string;
  readonly kind: Workload['kind'];
  /** Human description of the workload ("matmul 197×576×192 +ln"). */
  readonly workload: string;
  readonly device: DeviceFingerprint;
  readonly schedule: Schedule;
  /** ok: measured and numerically correct; wrong: disagreed with the CPU evaluation; error: did not compile or run. */
  readonly status: TrialStatus;
  readonly medianMs: number | null;
  readonly minMs: number | null;
  readonly samples: number;
  readonly method: 'timestamp' | 'host' | 'cpu' | null;
  /** Measurement stopped early: the first samples were far slower than the best so far. */
  readonly pruned: boolean;
  /** The schedule is the heuristic default. */
  readonly isDefault: boolean;
  /** default: the reference measurement; search: a candidate; confirm: best or default measured again, alternately. */
  readonly phase: 'default' | 'search' | 'confirm';
  /** The tuning run and the trial number within it for this workload (for best-so-far plots). */
  readonly run: string;
  readonly trial: number;
  readonly message?: string;
  /** ISO 8601 time of the measurement. */
  readonly at: string;
  readonly vitc: string;
}

/** The record with its fields in a fixed order (format first: readers resynchronise on it). */
export function recordLine(r: TuneRecord): string {
  const ordered: TuneRecord = {
    format: RECORD_FORMAT,
    key: r.key,
    kind: r.kind,
    workload: r.workload,
    device: r.device,
    schedule: r.schedule,
    status: r.status,
    medianMs: r.medianMs,
    minMs: r.minMs,
    samples: r.samples,
    method: r.method,
    pruned: r.pruned,
    isDefault: r.isDefault,
    phase: r.phase,
    run: r.run,
    trial: r.trial,
    ...(r.message !== undefined ? { message: r.message } : {}),
    at: r.at,
    vitc: r.vitc,
  };
  const line = JSON.stringify(ordered);
  if (line.includes('\n')) throw new Error('internal: a record line contains a newline');
  return line;
}

/** Appends records to a database: one write per record. */
export class RecordWriter {
  readonly path: string;
  #needsNewline: boolean;

  constructor(path: string) {
    this.path = path;
    this.#needsNewline = existsSync(path) && !endsWithNewline(path);
  }

  append(r: TuneRecord): void {
    const line = `${this.#needsNewline ? '\n' : ''}${recordLine(r)}\n`;
    appendFileSync(this.path, line);
    this.#needsNewline = false;
  }
}

function endsWithNewline(path: string): boolean {
  const size = statSync(path).size;
  if (size === 0) return true;
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, size - 1);
    return b[0] === 0x0a;
  } finally {
    closeSync(fd);
  }
}

export type Warn = (message: string) => void;

/** Every readable record of a database (none when the file does not exist); problems go to `warn`. */
export function readRecords(path: string, warn: Warn = () => undefined): TuneRecord[] {
  if (!existsSync(path)) return [];
  return parseRecords(readFileSync(path, 'utf8'), path, warn);
}

export function parseRecords(text: string, name: string, warn: Warn = () => undefined): TuneRecord[] {
  const out: TuneRecord[] = [];
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    const where = `${name}:${i + 1}`;
    const parsed = parseRecord(line);
    if (parsed) return out.push(parsed);
    // A partial record followed by a complete one (a killed writer, then another append).
    const at = line.lastIndexOf(RECORD_PREFIX);
    const tail = at > 0 ? parseRecord(line.slice(at)) : undefined;
    if (tail) {
      warn(`${where}: skipped a truncated record before a complete one`);
      out.push(tail);
    } else {
      warn(`${where}: skipped a line that is not a tuning record${i === lines.length - 1 ? ' (truncated last line)' : ''}`);
    }
  });
  return out;
}

function parseRecord(line: string): TuneRecord | undefined {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return undefined;
  }
  return isRecord(v) ? v : undefined;
}

function isRecord(v: unknown): v is TuneRecord {
  if (!v || typeof v !== 'object') return false;
  const r = v as Record<string, unknown>;
  const device = r.device as Record<string, unknown> | undefined;
  const schedule = r.schedule as Record<string, unknown> | undefined;
  const time = (x: unknown) => x === null || (typeof x === 'number' && Number.isFinite(x));
  return (
    r.format === RECORD_FORMAT &&
    typeof r.key === 'string' &&
    typeof r.kind === 'string' &&
    !!device &&
    typeof device.id === 'string' &&
    typeof device.limits === 'object' &&
    Array.isArray(device.features) &&
    !!schedule &&
    schedule.kind === r.kind &&
    (r.status === 'ok' || r.status === 'wrong' || r.status === 'error') &&
    time(r.medianMs) &&
    time(r.minMs) &&
    (r.status !== 'ok' || typeof r.medianMs === 'number') &&
    typeof r.trial === 'number' &&
    (r.phase === 'default' || r.phase === 'search' || r.phase === 'confirm') &&
    typeof r.run === 'string'
  );
}
