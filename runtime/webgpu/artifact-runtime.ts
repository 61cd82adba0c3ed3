import { WebGpuRuntimeError, adapterDisplayName, createExecutor, type Executor, type ExecutorStats, type RunInputs, type RunOutputs } from './executor.js';
import { describeAdapter, requestDeviceFor, type AdapterFingerprint } from './device-request.js';
import type { ArtifactManifest } from './artifact-manifest.js';
import type { AdapterChoice, DawnModule } from './dawn-adapters.js';
import type { ExecutionPlan, PlanTensor } from './plan.js';

/*
 * The loader a compiled artifact ships as `runtime.js`: reads manifest.json, the .wgsl files and
 * weights.safetensors from a folder (Node: path or file: URL) or a base URL (browser: http(s)),
 * checks their sha-256, gets a device (browser: navigator.gpu; Node: Dawn through the `webgpu`
 * package) and runs the plan. At run time it imports only its sibling runtime files.
 */

const MANIFEST_FORMAT: ArtifactManifest['format'] = 'vitc-webgpu-artifact/1';

export interface LoadOptions {
  /** Node: which adapter ('auto' unless VITC_ADAPTER says otherwise). Browser: checked against the one navigator.gpu gives. */
  readonly adapter?: AdapterChoice;
  /** Run on this device instead of acquiring one (destroy() then leaves it alone). */
  readonly device?: GPUDevice;
  /** Node: the `webgpu` package, when it cannot be imported from the artifact's folder. */
  readonly webgpu?: DawnModule;
  /** Check every file's sha-256 against the manifest (default true). */
  readonly verify?: boolean;
}

export interface ArtifactInfo {
  readonly name: string;
  readonly inputs: readonly PlanTensor[];
  readonly outputs: readonly PlanTensor[];
  /** The adapter it runs on (undefined when the caller passed its own device). */
  readonly adapter: AdapterFingerprint | undefined;
  readonly stats: ExecutorStats;
}

export interface LoadedArtifact {
  run(inputs: RunInputs): Promise<RunOutputs>;
  destroy(): void;
  readonly info: ArtifactInfo;
  /** For profiling and timing (executor.profile, executor.timeDispatch). */
  readonly executor: Executor;
}

function isNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions?.node === 'string';
}

interface FileSource {
  read(name: string): Promise<Uint8Array>;
  where(name: string): string;
}

/** `base` as a folder URL: absolute URLs as they are, paths against the cwd (Node) or the page (browser). */
async function baseUrl(base: string | URL): Promise<URL> {
  let url: URL;
  if (base instanceof URL) url = new URL(base.href);
  else if (/^[a-z][a-z0-9+.-]+:/i.test(base)) url = new URL(base);
  else if (isNode()) {
    const [{ pathToFileURL }, { resolve }] = await Promise.all([import('node:url'), import('node:path')]);
    url = pathToFileURL(resolve(base));
  } else url = new URL(base, (globalThis as { location?: { href: string } }).location?.href);
  if (url.pathname.endsWith('/manifest.json')) url.pathname = url.pathname.slice(0, -'manifest.json'.length);
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}

async function fileSource(base: string | URL): Promise<FileSource> {
  const root = await baseUrl(base);
  const where = (name: string) => new URL(name, root).href;
  return {
    where,
    async read(name) {
      if (name.startsWith('/') || name.split(/[\\/]/).includes('..') || /^[a-z][a-z0-9+.-]+:/i.test(name)) {
        throw new WebGpuRuntimeError(`artifact file name ${JSON.stringify(name)} must be a plain relative path`);
      }
      const url = new URL(name, root);
      try {
        if (url.protocol === 'file:') {
          const [{ readFile }, { fileURLToPath }] = await Promise.all([import('node:fs/promises'), import('node:url')]);
          return new Uint8Array(await readFile(fileURLToPath(url)));
        }
        const response = await fetch(url);
        if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`);
        return new Uint8Array(await response.arrayBuffer());
      } catch (e) {
        throw new WebGpuRuntimeError(`cannot read ${url.href}: ${e instanceof Error ? e.message : String(e)}`);
      }
    },
  };
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) {
    throw new WebGpuRuntimeError('checking artifact hashes needs WebCrypto (crypto.subtle: Node 20+, or a browser page on https or localhost); pass verify: false to skip');
  }
  const digest = new Uint8Array(await subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

const SAFETENSORS_DTYPE_BYTES: Readonly<Record<string, number>> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1,
};

/** The tensors of a safetensors file as views into `bytes`, by key. */
export function parseSafetensors(bytes: Uint8Array, file: string): Map<string, Uint8Array> {
  const bad = (why: string): never => {
    throw new WebGpuRuntimeError(`${file} is not a valid safetensors file: ${why}`);
  };
  if (bytes.byteLength < 8) bad('shorter than its 8-byte header length');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
  if (headerLength > bytes.byteLength - 8) bad(`header length ${headerLength} exceeds the file`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Record<string, unknown>;
  } catch {
    return bad('header is not JSON');
  }
  const data = bytes.subarray(8 + headerLength);
  const tensors = new Map<string, Uint8Array>();
  for (const [key, entry] of Object.entries(header)) {
    if (key === '__metadata__') continue;
    const { dtype, shape, data_offsets: offsets } = (entry ?? {}) as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (!Array.isArray(offsets) || offsets.length !== 2 || !Array.isArray(shape)) return bad(`entry ${JSON.stringify(key)} lacks shape or data_offsets`);
    const [begin, end] = offsets as [number, number];
    if (!(Number.isInteger(begin) && Number.isInteger(end) && 0 <= begin && begin <= end && end <= data.byteLength)) {
      return bad(`entry ${JSON.stringify(key)} has data_offsets [${begin}, ${end}] outside the ${data.byteLength} data bytes`);
    }
    const width = SAFETENSORS_DTYPE_BYTES[String(dtype)];
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (width !== undefined && count * width !== end - begin) bad(`entry ${JSON.stringify(key)} has ${end - begin} bytes for ${count} ${String(dtype)} values`);
    tensors.set(key, data.subarray(begin, end));
  }
  return tensors;
}

/**
 * A weight's slice in the plan may be longer than its values (vitc rounds slices up to 16 bytes);
 * the file holds only the values, so shorter tensors are zero-padded to their slice.
 */
function padToSlices(plan: ExecutionPlan, weights: Map<string, Uint8Array>): Map<string, Uint8Array> {
  for (const w of plan.weights) {
    const bytes = weights.get(w.key);
    if (bytes && bytes.byteLength < w.size) {
      const padded = new Uint8Array(w.size);
      padded.set(bytes);
      weights.set(w.key, padded);
    }
  }
  return weights;
}

function checkManifest(manifest: unknown, where: string): ArtifactManifest {
  const m = manifest as Partial<ArtifactManifest> | null;
  if (!m || typeof m !== 'object' || m.format !== MANIFEST_FORMAT) {
    throw new WebGpuRuntimeError(`${where} is not a vitc WebGPU artifact manifest (format ${JSON.stringify(m?.format)}, expected ${MANIFEST_FORMAT})`);
  }
  if (!m.plan || typeof m.weights !== 'string' || !m.files || typeof m.files !== 'object') {
    throw new WebGpuRuntimeError(`${where} lacks its plan, weights file or file hashes`);
  }
  const unnamed = m.plan.programs.find((p) => !p.file && p.source === undefined);
  if (unnamed) throw new WebGpuRuntimeError(`${where}: program ${unnamed.id} names no .wgsl file`);
  return m as ArtifactManifest;
}

async function acquire(plan: ExecutionPlan, options: LoadOptions): Promise<{ device: GPUDevice; adapter: AdapterFingerprint; keepAlive: unknown }> {
  if (isNode()) {
    const choice = options.adapter ?? process.env.VITC_ADAPTER ?? 'auto';
    let dawn = options.webgpu;
    if (!dawn) {
      try {
        dawn = (await import('webgpu')) as DawnModule;
      } catch (e) {
        throw new WebGpuRuntimeError(
          `cannot load the npm package "webgpu" (Dawn) from the artifact's folder: ${e instanceof Error ? firstText(e.message) : String(e)}; install it there or pass options.webgpu`,
        );
      }
    }
    const { acquireDawnDevice } = await import('./dawn-adapters.js');
    const acquired = await acquireDawnDevice(dawn, { adapter: choice, plan, label: plan.name });
    return { device: acquired.device, adapter: acquired.fingerprint, keepAlive: acquired.gpu };
  }
  const gpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (!gpu) throw new WebGpuRuntimeError('this browser exposes no WebGPU (navigator.gpu): it needs WebGPU enabled and a secure page (https or localhost)');
  const choice = options.adapter ?? 'auto';
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance', forceFallbackAdapter: choice === 'swiftshader' });
  if (!adapter) throw new WebGpuRuntimeError('navigator.gpu.requestAdapter() found no adapter');
  const fingerprint = describeAdapter(adapter, 'browser');
  const fields = [fingerprint.name, fingerprint.vendor, fingerprint.architecture, fingerprint.device, fingerprint.description];
  if (choice !== 'auto' && !fields.some((f) => f.toLowerCase().includes(choice.toLowerCase()))) {
    throw new WebGpuRuntimeError(`the browser's WebGPU adapter is ${adapterDisplayName(adapter.info)}, not ${JSON.stringify(choice)}`);
  }
  return { device: await requestDeviceFor(adapter, { plan, label: plan.name }), adapter: fingerprint, keepAlive: gpu };
}

function firstText(text: string): string {
  return text.split('\n')[0] ?? text;
}

/** Loads a compiled artifact from a folder or base URL and gets it ready to run. */
export async function loadArtifact(base: string | URL, options: LoadOptions = {}): Promise<LoadedArtifact> {
  const files = await fileSource(base);
  const manifestBytes = await files.read('manifest.json');
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(manifestBytes));
  } catch {
    throw new WebGpuRuntimeError(`${files.where('manifest.json')} is not JSON`);
  }
  const manifest = checkManifest(parsed, files.where('manifest.json'));
  const { plan } = manifest;
  const verify = options.verify !== false;
  const load = async (name: string): Promise<Uint8Array> => {
    const bytes = await files.read(name);
    if (verify) {
      const expected = manifest.files[name];
      if (!expected) throw new WebGpuRuntimeError(`the manifest of ${plan.name} lists no sha-256 for ${name}`);
      const actual = await sha256Hex(bytes);
      if (actual !== expected.toLowerCase()) {
        throw new WebGpuRuntimeError(`${files.where(name)} does not match its sha-256 in the manifest (expected ${expected}, got ${actual})`);
      }
    }
    return bytes;
  };
  const programFiles = [...new Set(plan.programs.filter((p) => p.file).map((p) => p.file!))];
  const [weightBytes, ...programBytes] = await Promise.all([load(manifest.weights), ...programFiles.map(load)]);
  const text = new Map(programFiles.map((f, i) => [f, new TextDecoder().decode(programBytes[i])]));
  const sources = new Map(plan.programs.map((p) => [p.id, p.file ? text.get(p.file)! : p.source!]));
  const weights = padToSlices(plan, parseSafetensors(weightBytes!, files.where(manifest.weights)));

  const own = options.device ? undefined : await acquire(plan, options);
  const device = options.device ?? own!.device;
  let executor: Executor;
  try {
    executor = await createExecutor(device, plan, sources, weights);
  } catch (e) {
    if (own) own.device.destroy();
    throw e;
  }
  // `own` also holds the Dawn instance, which must outlive the device: destroy() keeps it referenced.
  return {
    executor,
    info: { name: plan.name, inputs: plan.inputs, outputs: plan.outputs, adapter: own?.adapter, stats: executor.stats },
    run: (inputs) => executor.run(inputs),
    destroy() {
      executor.destroy();
      if (own) own.device.destroy();
    },
  };
}
