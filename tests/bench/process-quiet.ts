import { setTimeout as sleep } from 'node:timers/promises';

/*
 * Two Node-specific effects that would otherwise dominate the measurements.
 *
 * 1. When a promise from Dawn is pending and libuv has nothing else to do, Node's event loop
 *    returns and Node drains the V8 platform's background tasks before looking again, i.e. the
 *    main thread BLOCKS until V8 has finished compiling every function of a big wasm module with
 *    its optimizing tier (onnxruntime-web's 27 MB wasm: 60-90 s on two cores). Found with gdb: the
 *    main thread waits in node::NodePlatform::DrainTasks while workers run
 *    ExecuteTurbofanWasmCompilation. A browser never blocks like that. An idle timer keeps the
 *    loop alive so it does not happen (ORT's first run on a tiny model: 75 s -> 0.8 s).
 * 2. That optimizing compile (and any driver-side shader compile) then runs in the background
 *    for a minute or more and steals a core from whatever is being timed. The harness waits for
 *    the process to go quiet before timing.
 */

/** Keeps Node's event loop alive (see 1 above) until the returned function is called. */
export function keepEventLoopAlive(): () => void {
  const timer = setInterval(() => {}, 2 ** 30);
  return () => clearInterval(timer);
}

export interface IdleOptions {
  /** Length of one observation window. */
  readonly windowMs?: number;
  /** The process counts as idle when it used less than this share of one core in a window. */
  readonly maxCpuShare?: number;
  /** Give up waiting after this long. */
  readonly timeoutMs?: number;
}

/**
 * Waits until this process (all its threads: V8's compiler workers, llvmpipe's and SwiftShader's
 * threads) used almost no CPU for one window. Returns how long it waited and whether it went quiet.
 */
export async function waitUntilIdle(opts: IdleOptions = {}): Promise<{ waitedMs: number; idle: boolean }> {
  const windowMs = opts.windowMs ?? 1000;
  // Low, because on a loaded machine a busy background thread may get only a small share of a core.
  const maxShare = opts.maxCpuShare ?? 0.05;
  const timeoutMs = opts.timeoutMs ?? 300_000;
  const start = Date.now();
  for (;;) {
    const cpu0 = process.cpuUsage();
    const t0 = Date.now();
    await sleep(windowMs);
    const used = process.cpuUsage(cpu0);
    const share = (used.user + used.system) / 1000 / Math.max(1, Date.now() - t0);
    if (share < maxShare) return { waitedMs: Date.now() - start, idle: true };
    if (Date.now() - start >= timeoutMs) return { waitedMs: Date.now() - start, idle: false };
  }
}
