import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ARTIFACT_FORMAT, type ArtifactManifest } from '../../runtime/webgpu/artifact-manifest.js';
import { planNeeds, requiredLimitsFor } from '../../runtime/webgpu/executor.js';
import type { ExecutionPlan } from '../../runtime/webgpu/plan.js';
import { RUNTIME_FILES, runtimeFilesDir } from '../../runtime/webgpu/runtime-files.js';
import type { WebGpuCompileResult } from '../compile-webgpu.js';
import { renderModelDeclarations } from './model-declarations.js';
import { renderModelModule } from './model-module.js';
import { modelSignature } from './model-signature.js';
import { replaceFolder } from './replace-folder.js';
import { vitcPackage } from './vitc-version.js';
import { weightsSafetensors } from './weights-file.js';

export interface ArtifactOptions {
  /** The model's name in model.js, model.d.ts, the manifest and package.json (default: the plan's name). */
  readonly modelName?: string;
}

const MANIFEST = 'manifest.json';
const WEIGHTS = 'weights.safetensors';

function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** An npm package name from a model name: lowercase, URL-safe, at most 214 characters. */
function packageName(model: string): string {
  const cleaned = model.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[._-]+/, '').slice(0, 214);
  return cleaned || 'vitc-model';
}

/** package.json of the artifact: an ES module package whose entry point is model.js. */
function packageJson(model: string, webgpuRange: string): string {
  const pkg = {
    name: packageName(model),
    version: '0.0.0',
    private: true,
    description: `${model}, compiled by vitc for WebGPU`,
    type: 'module',
    main: './model.js',
    types: './model.d.ts',
    exports: { '.': { types: './model.d.ts', default: './model.js' } },
    peerDependencies: { webgpu: webgpuRange },
    peerDependenciesMeta: { webgpu: { optional: true } },
  };
  return `${JSON.stringify(pkg, null, 2)}\n`;
}

/** The compiled runtime files end with a link to a .map file the artifact does not ship. */
function withoutSourceMapLink(js: string): string {
  return js.replace(/\n\/\/# sourceMappingURL=[^\n]*\s*$/, '\n');
}

/** The plan as the artifact ships it: programs name their .wgsl file instead of carrying the source. */
function artifactPlan(plan: ExecutionPlan, name: string): ExecutionPlan {
  return { ...plan, name, programs: plan.programs.map(({ source: _source, ...p }) => ({ ...p, file: `${p.id}.wgsl` })) };
}

/** Says why `dir` must not be replaced: it is not a vitc artifact, or holds files vitc did not write. */
function refuseUnlessArtifact(dir: string, entries: readonly string[]): string | undefined {
  let manifest: Partial<ArtifactManifest> | undefined;
  try {
    manifest = JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8')) as Partial<ArtifactManifest>;
  } catch {
    manifest = undefined;
  }
  if (manifest?.format !== ARTIFACT_FORMAT || !manifest.files || typeof manifest.files !== 'object') {
    return `${dir} is not empty and is not a vitc WebGPU artifact (no ${MANIFEST} of format ${ARTIFACT_FORMAT}); refusing to replace it`;
  }
  const ours = new Set([MANIFEST, ...Object.keys(manifest.files).map((f) => f.split('/')[0]!)]);
  const foreign = entries.filter((e) => !ours.has(e));
  if (foreign.length) {
    return `${dir} holds files its manifest does not list (${foreign.slice(0, 5).join(', ')}${foreign.length > 5 ? ', ...' : ''}); refusing to replace it — move them out or choose another folder`;
  }
  return undefined;
}

/**
 * Writes a compiled WebGPU model as an artifact folder that runs without vitc: `model.js` (ES
 * module, imports only ./runtime.js) and `model.d.ts`, one `.wgsl` file per program,
 * `weights.safetensors`, `manifest.json` (plan, sha-256 of every file, what the device must
 * offer, batch, vitc version), `package.json` and the runtime files. The folder is replaced as a
 * whole (see replaceFolder); an existing folder must be empty or an artifact vitc wrote.
 * Returns the relative paths written, sorted.
 */
export async function writeWebGpuArtifact(dir: string, compiled: WebGpuCompileResult, opts: ArtifactOptions = {}): Promise<{ files: string[] }> {
  const name = opts.modelName ?? compiled.plan.name;
  const vitc = vitcPackage();
  const plan = artifactPlan(compiled.plan, name);
  const signature = modelSignature(plan, name, compiled.batch, vitc.version);

  const files = new Map<string, Uint8Array | string>();
  for (const p of plan.programs) {
    const source = compiled.sources.get(p.id);
    if (source === undefined) throw new Error(`program ${p.id} has no WGSL source`);
    files.set(p.file!, source);
  }
  files.set(WEIGHTS, weightsSafetensors(compiled, { producer: `vitc ${vitc.version}`, model: name }));
  files.set('model.js', renderModelModule(signature));
  files.set('model.d.ts', renderModelDeclarations(signature));
  files.set('package.json', packageJson(name, vitc.webgpuRange));
  const runtimeDir = runtimeFilesDir();
  for (const [shipped, source] of Object.entries(RUNTIME_FILES)) files.set(shipped, withoutSourceMapLink(readFileSync(join(runtimeDir, source), 'utf8')));

  const hashes = Object.fromEntries([...files].map(([path, content]) => [path, sha256Hex(content)] as const).sort(([a], [b]) => (a < b ? -1 : 1)));
  const manifest: ArtifactManifest = {
    format: ARTIFACT_FORMAT,
    producer: { name: 'vitc', version: vitc.version },
    batch: compiled.batch,
    requires: { features: [...plan.requires.features], limits: requiredLimitsFor(planNeeds(plan)) },
    entry: { module: 'model.js', types: 'model.d.ts' },
    plan,
    weights: WEIGHTS,
    files: hashes,
  };
  files.set(MANIFEST, `${JSON.stringify(manifest, null, 1)}\n`);
  replaceFolder(dir, files, refuseUnlessArtifact);
  return { files: [...files.keys()].sort() };
}
