import cliProgress from 'cli-progress';
import type { TuneEvent, WorkloadInfo } from './tune.js';

const fmt = (x: number | undefined) => (x === undefined ? '-' : x >= 100 ? x.toFixed(0) : x >= 1 ? x.toFixed(2) : x.toFixed(3));

/**
 * Progress of `vitc tune` on a terminal: one bar over the workloads, with the current workload's
 * trials and its best time against the default. Without a terminal, one line per finished workload.
 */
export function tuneProgress(stream: NodeJS.WriteStream = process.stderr): { onEvent: (e: TuneEvent) => void; stop: () => void } {
  const tty = stream.isTTY === true;
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: 'tune {bar} {value}/{total} workloads | {what} | {phase} trial {trial} | best {best} ms vs default {default} ms',
      hideCursor: true,
      barsize: 20,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  let workloads: readonly WorkloadInfo[] = [];
  let done = 0;
  const payload = { what: '', phase: '', trial: 0, best: '-', default: '-' };
  const onEvent = (e: TuneEvent): void => {
    switch (e.type) {
      case 'start':
        workloads = e.workloads;
        if (tty) bar.start(workloads.length, 0, payload);
        else stream.write(`tuning ${workloads.length} unique workloads (${workloads.reduce((s, w) => s + w.tasks, 0)} kernels) on ${e.device.name}\n`);
        return;
      case 'workload':
        Object.assign(payload, { what: e.info.description, phase: e.phase, trial: 0, best: '-', default: payload.what === e.info.description ? payload.default : '-' });
        break;
      case 'trial':
        Object.assign(payload, { trial: e.trial, best: fmt(e.bestMs), default: fmt(e.defaultMs) });
        break;
      case 'done':
        done++;
        if (!tty) {
          const s = e.summary;
          stream.write(`[${done}/${workloads.length}] ${s.description}: default ${fmt(s.defaultMs)} ms, best ${fmt(s.bestMs)} ms after ${s.trials} trials (${s.stopped})\n`);
        }
        break;
    }
    if (tty) bar.update(done, payload);
  };
  return { onEvent, stop: () => tty && bar.stop() };
}
