import { VitcError } from '../../../ir/errors.js';
import { coverageReport, formatCoverage, importOnnx, readOnnxFile } from '../../../ir/onnx/index.js';
import type { CommandIo } from '../io.js';
import { writingOutput } from '../output-files.js';

export interface ImportOptions {
  readonly output?: string;
  readonly report?: boolean;
}

/**
 * `vitc import MODEL.onnx -o OUT.vir [--report]`. With --report the op coverage table goes to
 * stdout first; a model that does not import completely then fails (exit 2) after the report.
 */
export async function importCommand(model: string, opts: ImportOptions, io: CommandIo): Promise<void> {
  if (!opts.output && !opts.report) throw new VitcError('nothing to do: give -o OUT.vir to write the text IR, or --report for the op coverage', { context: 'import' });
  const loaded = readOnnxFile(model);
  if (opts.report) io.out(`${formatCoverage(coverageReport(loaded))}\n`);
  // Strict import: fails with the first problem, one line, when the model does not import.
  const graph = importOnnx(loaded);
  if (opts.output) {
    const { writeVir } = await import('../../../ir/text/index.js');
    const output = opts.output;
    await writingOutput(output, () => writeVir(output, graph));
    io.err(`wrote ${opts.output} (${graph.nodes.length} nodes)\n`);
  }
}
