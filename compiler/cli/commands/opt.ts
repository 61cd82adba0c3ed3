import { writeVir } from '../../../ir/text/index.js';
import type { Instrument } from '../../instruments/instrument.js';
import { printIrAfterAll, printIrAfterChange } from '../../instruments/print-ir.js';
import { timePasses } from '../../instruments/time-passes.js';
import { applyPipeline } from '../apply-pipeline.js';
import type { CommandIo } from '../io.js';
import { writingOutput } from '../output-files.js';
import { loadGraph } from '../load-model.js';

export interface OptOptions {
  readonly passes: string;
  readonly output: string;
  readonly printIrAfterAll?: boolean;
  readonly printIrAfterChange?: boolean;
  readonly timePasses?: boolean;
  readonly remarks?: boolean;
  readonly calib?: string;
}

/** `vitc opt IN.vir|IN.onnx -p PIPELINE -o OUT.vir`: instruments write to stderr. */
export async function optCommand(input: string, opts: OptOptions, io: CommandIo): Promise<void> {
  const graph = await loadGraph(input);
  const instruments: Instrument[] = [];
  if (opts.printIrAfterAll) instruments.push(printIrAfterAll(io.err));
  if (opts.printIrAfterChange) instruments.push(printIrAfterChange(io.err));
  if (opts.timePasses) instruments.push(timePasses(io.err));
  const result = applyPipeline(graph, opts.passes, '-p', { instruments, ...(opts.remarks ? { remarks: io.err } : {}), ...(opts.calib ? { calib: opts.calib } : {}) });
  await writingOutput(opts.output, () => writeVir(opts.output, result));
}
