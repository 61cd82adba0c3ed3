export { coverageReport, formatCoverage, type CoverageReport, type OpCoverage } from './coverage.js';
export { supportedOnnxOps } from './convert/registry.js';
export { importOnnx, importOnnxFile, type ImportOptions } from './import.js';
export { readOnnxBytes, readOnnxFile, type LoadedModel } from './read-model.js';
export { modelProtoType } from './schema.js';
