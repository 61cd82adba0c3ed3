import type { NodeContext } from '../context.js';
import type { Known } from '../known-values.js';

/**
 * Converts one ONNX node: returns what is known about each of its outputs, by position
 * (undefined or missing entries for outputs vitc does not produce; using them fails).
 */
export type ConvertFn = (ctx: NodeContext) => readonly (Known | undefined)[];

/** Converters of one op family, keyed by ONNX op_type. */
export type ConverterTable = Readonly<Record<string, ConvertFn>>;
