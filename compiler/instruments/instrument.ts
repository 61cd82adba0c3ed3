import type { Graph } from '../../ir/graph.js';
import type { PipelineEntry } from '../pipeline.js';

/** Where instruments write: the CLI passes a stderr writer, tests collect into a string. */
export type Sink = (text: string) => void;

/** Renders a graph as text IR (the printer of ir/text, or a stand-in in tests). */
export type IrPrinter = (g: Graph) => string;

/** One finished pass run, as the pass manager reports it to instruments. */
export interface PassEvent {
  readonly entry: PipelineEntry;
  /** 0-based position in the pipeline, and the pipeline length. */
  readonly index: number;
  readonly count: number;
  readonly before: Graph;
  readonly after: Graph;
  /** Wall time of the pass itself, without verification or instruments. */
  readonly ms: number;
}

/** Observes a pipeline run. Instruments never change the graph. */
export interface Instrument {
  afterPass?(e: PassEvent): void;
  /** Called once after the last pass when the whole pipeline succeeded. */
  afterPipeline?(): void;
}
