import { createHash } from 'node:crypto';
import type { TargetLimits } from '../schedule/limits.js';
import { WEBGPU_DEFAULT_LIMITS } from '../schedule/limits.js';
import { canonicalJson } from '../workload/types.js';

/**
 * The device a measurement was taken on, as records store it. Two records are "the exact device"
 * when their ids match: same adapter identity, driver, limits and features. `driver` is the
 * adapter description (Mesa and SwiftShader put their versions there) plus the Dawn build that
 * compiled the WGSL, since a new Tint can change which schedule is fastest.
 */
export interface DeviceFingerprint {
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
  readonly backend: string;
  readonly driver: string;
  readonly limits: Readonly<Record<string, number>>;
  readonly features: readonly string[];
  /** Hash of the fields above (canonical JSON). */
  readonly id: string;
  /** Short display name ("llvmpipe", "SwiftShader"); not part of the id. */
  readonly name: string;
}

/** What the runtime's adapter description provides (runtime/webgpu describeAdapter). */
export interface AdapterDescription {
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
  readonly backend: string;
  readonly name: string;
  readonly features: readonly string[];
  readonly limits: Readonly<Record<string, number>>;
}

export function deviceFingerprint(a: AdapterDescription, dawn: string): DeviceFingerprint {
  const identity = {
    vendor: a.vendor,
    architecture: a.architecture,
    device: a.device,
    description: a.description,
    backend: a.backend,
    driver: `${a.description}; ${dawn}`,
    limits: Object.fromEntries(Object.entries(a.limits).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))),
    features: [...a.features].sort(),
  };
  return { ...identity, id: fingerprintId(identity), name: a.name };
}

export function fingerprintId(f: Omit<DeviceFingerprint, 'id' | 'name'>): string {
  const { vendor, architecture, device, description, backend, driver, limits, features } = f;
  return createHash('sha256').update(canonicalJson({ vendor, architecture, device, description, backend, driver, limits, features })).digest('hex').slice(0, 16);
}

/**
 * How far apart two devices are for borrowing tuning records: 0 for the same id; otherwise
 * identity first — a different vendor counts 8, architecture 4, backend 2, device 1, driver
 * 0.5 — then the limits (mean |log2 ratio| over the limits code generation reads, squashed below
 * 0.25) and the features (Jaccard distance × 0.2). So any device of the same vendor, architecture
 * and backend is nearer than any device that differs in one of them, and among equals the one
 * with the most similar limits wins.
 */
export function deviceDistance(a: DeviceFingerprint, b: DeviceFingerprint): number {
  if (a.id === b.id) return 0;
  let d = 0;
  if (a.vendor !== b.vendor) d += 8;
  if (a.architecture !== b.architecture) d += 4;
  if (a.backend !== b.backend) d += 2;
  if (a.device !== b.device) d += 1;
  if (a.driver !== b.driver) d += 0.5;
  d += 0.25 * Math.tanh(limitsDistance(a.limits, b.limits));
  d += 0.2 * jaccardDistance(a.features, b.features);
  // A device whose every field matches but whose id differs still is not the exact device.
  return Math.max(d, 1e-6);
}

function limitsDistance(a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>): number {
  const names = Object.keys(WEBGPU_DEFAULT_LIMITS) as (keyof TargetLimits)[];
  let sum = 0;
  for (const n of names) {
    const x = a[n] ?? WEBGPU_DEFAULT_LIMITS[n];
    const y = b[n] ?? WEBGPU_DEFAULT_LIMITS[n];
    sum += Math.abs(Math.log2(Math.max(1, x) / Math.max(1, y)));
  }
  return sum / names.length;
}

function jaccardDistance(a: readonly string[], b: readonly string[]): number {
  const sa = new Set(a);
  const sb = new Set(b);
  const union = new Set([...sa, ...sb]);
  if (union.size === 0) return 0;
  let common = 0;
  for (const x of sa) if (sb.has(x)) common++;
  return 1 - common / union.size;
}
