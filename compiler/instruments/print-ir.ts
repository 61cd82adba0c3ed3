import type { Graph } from '../../ir/graph.js';
import { printGraph } from '../../ir/text/index.js';
import { formatEntry } from '../pipeline.js';
import type { Instrument, IrPrinter, PassEvent, Sink } from './instrument.js';

/** print-ir-after-all: the IR after every pass. */
export function printIrAfterAll(sink: Sink, print: IrPrinter = printText): Instrument {
  return {
    afterPass(e) {
      sink(dump(e, print(e.after)));
    },
  };
}

/**
 * print-ir-after-change: the IR after each pass whose printed IR differs from its input's. A pass
 * that returns its input unchanged is skipped without printing anything.
 */
export function printIrAfterChange(sink: Sink, print: IrPrinter = printText): Instrument {
  // The last printed graph, so consecutive passes print each graph once.
  let last: { graph: Graph; text: string } | undefined;
  const textOf = (g: Graph): string => {
    if (last?.graph !== g) last = { graph: g, text: print(g) };
    return last.text;
  };
  return {
    afterPass(e) {
      if (e.after === e.before) return;
      const before = textOf(e.before);
      const after = textOf(e.after);
      if (after !== before) sink(dump(e, after));
    },
  };
}

/** The text IR; out-of-line weights show as references (the dump writes no weights file). */
function printText(g: Graph): string {
  return printGraph(g).text;
}

function dump(e: PassEvent, text: string): string {
  const body = text.endsWith('\n') ? text : `${text}\n`;
  return `// ----- IR after ${formatEntry(e.entry)} (${e.index + 1}/${e.count}) -----\n${body}`;
}
