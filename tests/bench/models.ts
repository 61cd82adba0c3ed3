import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { VitcError } from '../../ir/errors.js';
import type { Tensor } from '../../ir/tensor.js';
import { openOrt } from '../../runtime/ort-reference.js';
import { fixtureModels as fixtureFiles } from '../helpers/fixture-models.js';
import { FIXTURES, repoPath } from '../helpers/paths.js';
import type { BenchModel, Tensors } from './harness.js';
import { ensureExportModules, exportPython } from './export-deps.js';
import { randomNormalTensor } from './random-inputs.js';

/*
 * Which models the bench measures, and their fixed inputs and reference outputs.
 * Two sources: the committed small fixtures (tests/fixtures/*.onnx) and the full-size models that
 * tests/fixtures/make_bench_models.py exports into the git-ignored .bench/models/ on demand.
 */

export const BENCH_MODEL_DIR = repoPath('.bench', 'models');
/** Models make_bench_models.py knows how to export. */
export const EXPORTABLE = ['vit_ti16', 'efficientvit_m0_full', 'efficientvit_m1_full', 'efficientvit_m2_full', 'efficientvit_m3_full', 'efficientvit_m4_full', 'efficientvit_m5_full', 'lowformer_b0_full', 'lowformer_b1_full'] as const;
const EXPORT_SCRIPT = repoPath('tests', 'fixtures', 'make_bench_models.py');

export interface ModelRef {
  readonly name: string;
  readonly path: string;
}

/**
 * The committed fixtures, sorted by path: `name.onnx` is called `name`, a model in its own folder
 * (`vit_external/model.onnx`, with external data) is called after the folder.
 */
export function fixtureModels(): ModelRef[] {
  return fixtureFiles().map((path) => {
    const rel = relative(FIXTURES, path);
    return { name: basename(rel) === 'model.onnx' ? dirname(rel) : rel.slice(0, -'.onnx'.length), path };
  });
}

/**
 * Resolves --models entries: an exportable name (exported if missing), a fixture name, or a
 * path to an .onnx file.
 */
export function resolveModels(specs: readonly string[], log: (line: string) => void, allowInstall = false): ModelRef[] {
  const fixtures = fixtureModels();
  return specs.map((spec) => {
    if ((EXPORTABLE as readonly string[]).includes(spec)) return ensureExported(spec, allowInstall, log);
    const fixture = fixtures.find((f) => f.name === spec);
    if (fixture) return fixture;
    if (spec.endsWith('.onnx') && existsSync(spec)) return { name: basename(spec, '.onnx'), path: resolve(spec) };
    throw new VitcError(
      `unknown model "${spec}": expected one of ${[...EXPORTABLE, ...fixtures.map((f) => f.name)].join(', ')} or a path to an .onnx file`,
    );
  });
}

/** Runs make_bench_models.py when the model is not in .bench/models yet (installing its Python packages if allowed). */
function ensureExported(name: string, allowInstall: boolean, log: (line: string) => void): ModelRef {
  const path = join(BENCH_MODEL_DIR, `${name}.onnx`);
  if (existsSync(path)) return { name, path };
  const python = exportPython();
  const missing = ensureExportModules(python, allowInstall, log);
  if (missing) throw new VitcError(`cannot export ${name} into ${BENCH_MODEL_DIR}: ${missing}`);
  log(`${name}: not in ${BENCH_MODEL_DIR}; exporting it with ${python} ${EXPORT_SCRIPT}`);
  const r = spawnSync(python, [EXPORT_SCRIPT, name], { stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' });
  if (r.error || r.status !== 0 || !existsSync(path)) {
    const why = r.error ? r.error.message : (r.stderr ?? '').trim().split('\n').slice(-3).join(' | ');
    throw new VitcError(`could not export ${name} (${why}); run ${python} ${EXPORT_SCRIPT} ${name} to see why`);
  }
  return { name, path };
}

export interface PreparedModel {
  readonly model: BenchModel;
  /** onnxruntime-node's outputs for the model's inputs (undefined when the check is off). */
  readonly reference?: Tensors;
}

type OrtNode = typeof import('onnxruntime-node');

/**
 * Reads the model's inputs with onnxruntime-node, makes a fixed random input for each (symbolic
 * dims become 1) and, if asked, runs onnxruntime-node (native CPU) on it for the reference.
 */
export async function prepareModel(ref: ModelRef, withReference: boolean): Promise<PreparedModel> {
  const ort = createRequire(import.meta.url)('onnxruntime-node') as OrtNode;
  let metadata: Awaited<ReturnType<OrtNode['InferenceSession']['create']>>['inputMetadata'];
  try {
    const session = await ort.InferenceSession.create(ref.path);
    metadata = session.inputMetadata;
    await session.release();
  } catch (e) {
    throw new VitcError(`onnxruntime-node could not load the model: ${(e as Error).message.split('\n')[0]}`, { file: ref.path });
  }
  const inputs = new Map<string, Tensor>();
  metadata.forEach((m, i) => {
    if (!m.isTensor || m.type !== 'float32') throw new VitcError(`input ${m.name} is not a float32 tensor; the bench feeds float32 only`, { file: ref.path });
    const shape = m.shape.map((d) => (typeof d === 'number' && d > 0 ? d : 1));
    inputs.set(m.name, randomNormalTensor(shape, 0x5eed + i));
  });
  const first = inputs.values().next().value as Tensor | undefined;
  const model: BenchModel = { name: ref.name, path: ref.path, inputs, batch: first?.shape[0] ?? 1 };
  if (!withReference) return { model };
  const runner = await openOrt(ref.path);
  try {
    return { model, reference: await runner.run(inputs) };
  } finally {
    await runner.release();
  }
}
