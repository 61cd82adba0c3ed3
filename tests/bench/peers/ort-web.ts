import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { globals } from 'webgpu';
import { VitcError } from '../../../ir/errors.js';
import { externalTensors, readOnnxFile } from '../../../ir/onnx/read-model.js';
import { Tensor } from '../../../ir/tensor.js';
import { describeAdapter, type AdapterSource } from '../dawn-adapters.js';
import type { BenchModel, Participant, PreparedRun, Tensors } from '../harness.js';
import { copySharedWrites } from './shared-buffer-writes.js';

/*
 * onnxruntime-web as a bench participant, in Node:
 *  - 'ort-webgpu': the WebGPU EP of the package's default browser build (`onnxruntime-web/all`,
 *    the JSEP kernels: hand-written WGSL generated in JavaScript). ORT creates the device itself
 *    from `env.webgpu.adapter`, which we set to the Dawn adapter we chose.
 *  - 'ort-webgpu-native': the C++ WebGPU EP (`onnxruntime-web/webgpu`, asyncify build), given
 *    a device we create on the chosen adapter (EP option `device`).
 *  - 'ort-wasm': the wasm (CPU) EP of the browser build `onnxruntime-web/wasm`, one thread.
 *
 * What it takes to run the browser builds in Node on Dawn:
 *  - Dawn's classes as globals (GPUDevice for an instanceof check, GPUBufferUsage, GPUMapMode, ...)
 *    and a `navigator.gpu` (only checked for presence: the adapter or device is passed explicitly);
 *  - `env.wasm.numThreads = 1` (no worker threads) and `proxy = false`;
 *  - model bytes, not a path (the browser builds fetch() paths, which fails for files);
 *  - the SharedArrayBuffer writeBuffer copy (shared-buffer-writes.ts) on ORT's device;
 *  - the native EP needs the adapter's real limits (compatibility mode's default of 128
 *    invocations per workgroup is too few for its kernels).
 *
 * Every setup imports a fresh instance of the ORT module (a query string makes a distinct ES
 * module): ORT binds one WebGPU device per wasm instance, and a fresh instance per model makes
 * time-to-first-inference a cold start (wasm compile included) every time.
 */

type Ort = typeof import('onnxruntime-web');
type OrtTensor = InstanceType<Ort['Tensor']>;
type OrtSession = Awaited<ReturnType<Ort['InferenceSession']['create']>>;

export type OrtWebGpuBuild = 'jsep' | 'native';

const WEBGPU_ENTRY: Record<OrtWebGpuBuild, string> = { jsep: 'onnxruntime-web/all', native: 'onnxruntime-web/webgpu' };

/** onnxruntime-web's WebGPU EP on the adapter `source` hands out. */
export function ortWebGpuParticipant(source: AdapterSource, build: OrtWebGpuBuild = 'jsep'): Participant {
  let instances = 0;
  return {
    name: build === 'jsep' ? 'ort-webgpu' : 'ort-webgpu-native',
    adapter: source.name,
    async setup(model) {
      installDawnGlobals();
      const ort = await importOrt(WEBGPU_ENTRY[build], `${source.name}-${model.name}-${++instances}`);
      configure(ort);
      const adapter = await source.requestAdapter();
      let device: GPUDevice;
      let session: OrtSession;
      if (build === 'jsep') {
        // JSEP requests its device from env.webgpu.adapter itself: catch it on the way out.
        const created: GPUDevice[] = [];
        const requestDevice = adapter.requestDevice;
        Object.defineProperty(adapter, 'requestDevice', {
          configurable: true,
          value: async (descriptor?: GPUDeviceDescriptor) => {
            const d = await requestDevice.call(adapter, descriptor);
            copySharedWrites(d.queue);
            created.push(d);
            return d;
          },
        });
        ort.env.webgpu.adapter = adapter;
        session = await createSession(ort, model, ['webgpu']);
        const used = ort.env.webgpu.device as unknown;
        if (created.length !== 1 || used !== created[0]) throw new VitcError(`onnxruntime-web did not use the ${source.name} device it was given`);
        device = created[0]!;
      } else {
        device = await adapter.requestDevice({ requiredLimits: maxLimits(adapter), requiredFeatures: wantedFeatures(adapter) });
        copySharedWrites(device.queue);
        // The EP takes the device from its options; the adapter is still checked for at init.
        ort.env.webgpu.adapter = adapter;
        session = await createSession(ort, model, [{ name: 'webgpu', device } as unknown as 'webgpu']);
      }
      return prepared(ort, session, describeAdapter(adapter), () => device.destroy());
    },
  };
}

/** onnxruntime-web's wasm (CPU) EP, one thread. */
export function ortWasmParticipant(): Participant {
  let instances = 0;
  return {
    name: 'ort-wasm',
    adapter: 'cpu',
    async setup(model) {
      const ort = await importOrt('onnxruntime-web/wasm', `wasm-${model.name}-${++instances}`);
      configure(ort);
      const session = await createSession(ort, model, ['wasm']);
      return prepared(ort, session, 'wasm, 1 thread', () => {});
    },
  };
}

function prepared(ort: Ort, session: OrtSession, device: string, destroy: () => void): PreparedRun {
  return {
    device,
    async run(inputs: Tensors): Promise<Tensors> {
      const feeds: Record<string, OrtTensor> = {};
      for (const [name, t] of inputs) feeds[name] = toOrt(ort, t);
      const out = await session.run(feeds);
      const result = new Map<string, Tensor>();
      for (const name of session.outputNames) result.set(name, fromOrt(out[name]!, name));
      return result;
    },
    async release() {
      await session.release();
      destroy();
    },
  };
}

async function importOrt(entry: string, instance: string): Promise<Ort> {
  const url = `${import.meta.resolve(entry)}?vitc-bench=${encodeURIComponent(instance)}`;
  const mod = (await import(url)) as Ort & { default?: Ort };
  return mod.InferenceSession ? mod : mod.default!;
}

function configure(ort: Ort): void {
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  ort.env.logLevel = 'error';
}

async function createSession(ort: Ort, model: BenchModel, executionProviders: ('webgpu' | 'wasm')[]): Promise<OrtSession> {
  const bytes = readFileSync(model.path);
  try {
    const externalData = externalDataFiles(model.path);
    return await ort.InferenceSession.create(bytes, { executionProviders, graphOptimizationLevel: 'all', ...(externalData.length ? { externalData } : {}) });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new VitcError(`onnxruntime-web could not create a session: ${msg.split('\n')[0]}`, { file: model.path });
  }
}

/** The files a model's external-data tensors live in, read into memory: the browser builds cannot open paths. */
function externalDataFiles(modelPath: string): { path: string; data: Uint8Array }[] {
  const { graph, dir } = readOnnxFile(modelPath);
  const locations = new Set<string>();
  for (const t of externalTensors(graph)) {
    const location = t.externalData?.find((e) => e.key === 'location')?.value;
    if (location) locations.add(location);
  }
  return [...locations].map((location) => ({ path: location, data: readFileSync(join(dir!, location)) }));
}

/**
 * The browser builds expect WebGPU's globals; Node has none, so Dawn's are installed where missing.
 * ORT only checks that `navigator.gpu` exists (it is given its adapter or device), so the one put
 * there refuses to pick an adapter: nothing may silently run on a device the bench did not choose.
 */
function installDawnGlobals(): void {
  const g = globalThis as Record<string, unknown>;
  for (const [k, v] of Object.entries(globals as Record<string, unknown>)) if (!(k in g)) g[k] = v;
  const nav = (g.navigator ??= {}) as Record<string, unknown>;
  const refuse = async (): Promise<never> => {
    throw new Error('navigator.gpu in the bench is a placeholder for onnxruntime-web; open adapters with tests/bench/dawn-adapters.ts');
  };
  if (!('gpu' in nav)) Object.defineProperty(nav, 'gpu', { value: { requestAdapter: refuse }, configurable: true });
}

/** Every numeric limit at the adapter's maximum. */
function maxLimits(adapter: GPUAdapter): Record<string, number> {
  const limits: Record<string, number> = {};
  const proto = Object.getPrototypeOf(adapter.limits) as object;
  for (const key of Object.getOwnPropertyNames(proto)) {
    const v = (adapter.limits as unknown as Record<string, unknown>)[key];
    if (typeof v === 'number') limits[key] = v;
  }
  return limits;
}

/** The optional features ORT's WebGPU EP asks for when it creates a device itself. */
function wantedFeatures(adapter: GPUAdapter): GPUFeatureName[] {
  const wanted = ['shader-f16', 'subgroups', 'timestamp-query'] as GPUFeatureName[];
  return wanted.filter((f) => adapter.features.has(f));
}

function toOrt(ort: Ort, t: Tensor): OrtTensor {
  if (t.dtype !== 'f32') throw new VitcError(`the bench feeds float32 inputs only, got ${t.dtype}`);
  return new ort.Tensor('float32', t.data as Float32Array, [...t.shape]);
}

function fromOrt(v: OrtTensor, name: string): Tensor {
  if (v.type !== 'float32') throw new VitcError(`onnxruntime-web returned a ${v.type} tensor for ${name}; the bench compares float32 outputs only`);
  return new Tensor('f32', [...v.dims], Float32Array.from(v.data as Float32Array));
}
