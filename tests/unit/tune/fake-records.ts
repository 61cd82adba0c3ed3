import { deviceFingerprint, type DeviceFingerprint } from '../../../codegen/tune/fingerprint.js';
import type { TuneRecord } from '../../../codegen/tune/records.js';
import type { Schedule } from '../../../codegen/schedule/types.js';
import { WEBGPU_DEFAULT_LIMITS } from '../../../codegen/schedule/limits.js';

/** Devices and records for database and apply-best tests (no GPU involved). */

export function fakeDevice(over: Partial<{ vendor: string; architecture: string; device: string; description: string; backend: string; name: string; limits: Record<string, number>; features: string[] }> = {}): DeviceFingerprint {
  return deviceFingerprint(
    {
      vendor: over.vendor ?? 'mesa',
      architecture: over.architecture ?? 'llvmpipe',
      device: over.device ?? 'llvmpipe-256',
      description: over.description ?? 'Mesa 22.3.6',
      backend: over.backend ?? 'opengl',
      name: over.name ?? 'llvmpipe',
      limits: over.limits ?? { ...WEBGPU_DEFAULT_LIMITS },
      features: over.features ?? ['timestamp-query'],
    },
    'dawn (test)',
  );
}

export function fakeRecord(device: DeviceFingerprint, key: string, schedule: Schedule, medianMs: number | null, over: Partial<TuneRecord> = {}): TuneRecord {
  return {
    format: 'vitc-tune-record/1',
    key,
    kind: schedule.kind,
    workload: `fake ${key}`,
    device,
    schedule,
    status: medianMs === null ? 'error' : 'ok',
    medianMs,
    minMs: medianMs,
    samples: medianMs === null ? 0 : 3,
    method: medianMs === null ? null : 'host',
    pruned: false,
    isDefault: false,
    phase: 'search',
    run: 'r1',
    trial: 0,
    ...(medianMs === null ? { message: 'did not compile' } : {}),
    at: '2026-01-01T00:00:00.000Z',
    vitc: '0.1.0',
    ...over,
  };
}

export const mm = (wgX: number, wgY: number, tm = 1, tn = 4): Schedule => ({ kind: 'matmul', wgX, wgY, tm, tn, vec: 4, kUnroll: 4, interleave: false });
