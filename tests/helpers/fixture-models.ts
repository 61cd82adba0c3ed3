import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES } from './paths.js';

/** Every .onnx file under `dir` (default: the fixtures folder), recursively, sorted. */
export function fixtureModels(dir: string = FIXTURES): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? fixtureModels(join(dir, e.name)) : e.name.endsWith('.onnx') ? [join(dir, e.name)] : []))
    .sort();
}
