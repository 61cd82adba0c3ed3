export { formatFloat, readFloat, type FloatFormat } from './float-format.js';
export { parseGraph, parseSyntax, type ParseOptions } from './parse.js';
export { DEFAULT_INLINE_LIMIT, printGraph, type PrintedGraph, type PrintOptions } from './printer.js';
export { readVir, weightsFileFor, writeVir } from './vir-file.js';
