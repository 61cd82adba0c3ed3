import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { WebGpuRuntimeError } from './executor.js';
import { describeAdapter, requestDeviceFor, type AdapterFingerprint, type DeviceRequirements } from './device-request.js';

/*
 * Picking a WebGPU adapter through Dawn's Node bindings (npm `webgpu`). Shipped inside compiled
 * artifacts (loaded only under Node), so at run time it imports only Node built-ins and siblings.
 *
 * Dawn reads the environment while it discovers adapters, which happens synchronously inside
 * requestAdapter(): the backend's variables are set around that call and restored after it, so
 * choosing SwiftShader (VK_ICD_FILENAMES) does not hide a real GPU from a later choice.
 */

/** 'auto': a real GPU if there is one, else llvmpipe, else SwiftShader. Anything else matches adapter names. */
export type AdapterChoice = 'auto' | 'llvmpipe' | 'swiftshader' | (string & {});

/** The part of the `webgpu` package this module uses. */
export interface DawnModule {
  create(options: string[]): GPU;
}

type RecipeKind = 'native' | 'llvmpipe' | 'swiftshader';

/** How Dawn reaches one kind of adapter: instance options, the environment its drivers read, feature level. */
export interface Recipe {
  readonly kind: RecipeKind;
  readonly backend: string;
  readonly createOptions: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly featureLevel: 'core' | 'compatibility';
}

export interface FoundAdapter {
  readonly adapter: GPUAdapter;
  readonly fingerprint: AdapterFingerprint;
  readonly kind: RecipeKind;
  /** The Dawn instance: it must stay referenced while its devices live. */
  readonly gpu: GPU;
}

export interface AcquiredDevice {
  readonly device: GPUDevice;
  readonly fingerprint: AdapterFingerprint;
  /** The Dawn instance, held here because it must outlive the device. */
  readonly gpu: GPU;
  /** Destroys the device. */
  release(): void;
}

export interface DawnAdapterOptions {
  readonly adapter?: AdapterChoice;
  /** Process environment to read (default process.env); the variables Dawn needs are set on process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Timestamps stay in nanoseconds instead of being rounded for privacy (Dawn's default). */
const DAWN_OPTIONS = ['disable-dawn-features=timestamp_quantization'];
const SOFTWARE_NAMES = /swiftshader|llvmpipe|lavapipe|softpipe|basic render/i;

const ICD_FILE = 'vk_swiftshader_icd.json';

/** Folders where Chromium builds keep SwiftShader's Vulkan driver next to the browser. */
function icdCandidates(env: Readonly<Record<string, string | undefined>>): string[] {
  const dirs = [
    '/usr/lib/chromium',
    '/usr/lib/chromium-browser',
    '/usr/lib64/chromium',
    '/usr/lib64/chromium-browser',
    '/opt/google/chrome',
    '/opt/google/chrome-beta',
    '/opt/google/chrome-unstable',
    '/opt/chromium.org/chromium',
    '/snap/chromium/current/usr/lib/chromium-browser',
  ];
  // A chromium or chrome executable on PATH, followed through symlinks to its folder.
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    for (const exe of ['chromium', 'chromium-browser', 'google-chrome', 'chrome']) {
      const path = join(dir, exe);
      if (existsSync(path)) dirs.push(dirname(realpathSync(path)));
    }
  }
  // Playwright's downloaded browsers.
  const playwright = env.PLAYWRIGHT_BROWSERS_PATH ?? join(homedir(), '.cache', 'ms-playwright');
  if (existsSync(playwright)) {
    for (const entry of readdirSync(playwright).filter((e) => e.startsWith('chromium')).sort().reverse()) {
      dirs.push(join(playwright, entry, 'chrome-linux'), join(playwright, entry, 'chrome-linux64'));
    }
  }
  return dirs.map((d) => join(d, ICD_FILE));
}

/** SwiftShader's Vulkan ICD json: VITC_SWIFTSHADER_ICD if set, else the first one shipped with a Chromium. */
export function findSwiftShaderIcd(env: Readonly<Record<string, string | undefined>> = process.env): string | undefined {
  if (env.VITC_SWIFTSHADER_ICD) return env.VITC_SWIFTSHADER_ICD;
  return icdCandidates(env).find((p) => existsSync(p));
}

function swiftShaderRecipe(env: Readonly<Record<string, string | undefined>>): Recipe {
  const icd = findSwiftShaderIcd(env);
  if (!icd) {
    throw new WebGpuRuntimeError(
      `SwiftShader's Vulkan driver (${ICD_FILE}) was not found next to any Chromium (looked in /usr/lib/chromium and others); ` +
        `install the Debian package chromium (its chromium-common part ships it) and libvulkan1, or set VITC_SWIFTSHADER_ICD to the json file`,
    );
  }
  if (!existsSync(icd)) throw new WebGpuRuntimeError(`VITC_SWIFTSHADER_ICD names ${icd}, which does not exist`);
  // VK_DRIVER_FILES is the newer name and wins over VK_ICD_FILENAMES when both are set: set both.
  return { kind: 'swiftshader', backend: 'vulkan', createOptions: ['backend=vulkan'], env: { VK_ICD_FILENAMES: icd, VK_DRIVER_FILES: icd }, featureLevel: 'core' };
}

/** surfaceless: EGL without a display server (works with one too); LIBGL_ALWAYS_SOFTWARE keeps Mesa on llvmpipe where a GPU driver exists. */
const LLVMPIPE: Recipe = {
  kind: 'llvmpipe',
  backend: 'opengl',
  createOptions: ['backend=opengl'],
  env: { EGL_PLATFORM: 'surfaceless', LIBGL_ALWAYS_SOFTWARE: '1' },
  featureLevel: 'compatibility',
};

const NATIVE: Recipe = { kind: 'native', backend: 'native', createOptions: [], env: {}, featureLevel: 'core' };

/** The recipe for one of the two CPU adapters (throws, naming the packages, when SwiftShader's driver is missing). */
export function cpuAdapterRecipe(kind: 'llvmpipe' | 'swiftshader', env: Readonly<Record<string, string | undefined>> = process.env): Recipe {
  return kind === 'llvmpipe' ? LLVMPIPE : swiftShaderRecipe(env);
}

/** Runs `fn` with `vars` set in process.env, restoring the previous values afterwards. */
export function withEnv<T>(vars: Readonly<Record<string, string>>, fn: () => T): T {
  const saved = Object.keys(vars).map((k) => [k, process.env[k]] as const);
  Object.assign(process.env, vars);
  try {
    return fn();
  } finally {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

async function tryRecipe(dawn: DawnModule, recipe: Recipe): Promise<FoundAdapter | undefined> {
  // Vulkan drivers (SwiftShader, Mesa's) probe for a Wayland display during discovery; with
  // XDG_RUNTIME_DIR unset libwayland prints an error line. A folder without a socket keeps it quiet.
  const quiet: Record<string, string> = process.env.XDG_RUNTIME_DIR ? {} : { XDG_RUNTIME_DIR: tmpdir() };
  const { gpu, pending } = withEnv({ ...quiet, ...recipe.env }, () => {
    const gpu = dawn.create([...recipe.createOptions, ...DAWN_OPTIONS]);
    // Discovery (and the env reads) happen synchronously inside this call.
    const pending = gpu.requestAdapter({ featureLevel: recipe.featureLevel, powerPreference: 'high-performance' });
    return { gpu, pending };
  });
  const adapter = await pending.catch(() => null);
  if (!adapter) return undefined;
  const backend = recipe.kind === 'native' ? nativeBackendName(adapter) : recipe.backend;
  return { adapter, gpu, kind: recipe.kind, fingerprint: describeAdapter(adapter, backend) };
}

/** Dawn does not say which backend its default choice used; the description usually does. */
function nativeBackendName(adapter: GPUAdapter): string {
  const d = adapter.info.description;
  if (/opengl es/i.test(d)) return 'opengles';
  if (/opengl/i.test(d)) return 'opengl';
  if (process.platform === 'darwin') return 'metal';
  if (process.platform === 'win32') return 'd3d12';
  return 'vulkan';
}

function isRealGpu(found: FoundAdapter): boolean {
  const info = found.adapter.info;
  return !info.isFallbackAdapter && !SOFTWARE_NAMES.test(`${info.vendor} ${info.architecture} ${info.device} ${info.description}`);
}

function matchesName(found: FoundAdapter, name: string): boolean {
  const { vendor, architecture, device, description } = found.fingerprint;
  const needle = name.toLowerCase();
  return [vendor, architecture, device, description, found.fingerprint.name].some((f) => f.toLowerCase().includes(needle));
}

function listing(found: readonly FoundAdapter[]): string {
  if (found.length === 0) return 'none (no GPU driver, no llvmpipe through EGL, no SwiftShader)';
  return found.map((f) => `${f.fingerprint.name} [${f.fingerprint.backend}: ${f.fingerprint.description || f.fingerprint.device}]`).join('; ');
}

/** Every adapter this machine offers through the three routes (a real GPU, llvmpipe, SwiftShader). */
export async function listAdapters(dawn: DawnModule, env: Readonly<Record<string, string | undefined>> = process.env): Promise<FoundAdapter[]> {
  const recipes: Recipe[] = [NATIVE, LLVMPIPE];
  if (findSwiftShaderIcd(env)) recipes.push(swiftShaderRecipe(env));
  const found: FoundAdapter[] = [];
  for (const r of recipes) {
    const f = await tryRecipe(dawn, r);
    // The native route can land on a software adapter that another route also reaches.
    if (f && !(r.kind === 'native' && !isRealGpu(f)) && !found.some((g) => g.fingerprint.key === f.fingerprint.key)) found.push(f);
  }
  return found;
}

/** Finds the adapter for a choice, or fails with one line that lists what is available. */
export async function findAdapter(dawn: DawnModule, options: DawnAdapterOptions = {}): Promise<FoundAdapter> {
  const env = options.env ?? process.env;
  const choice = (options.adapter ?? 'auto').trim();
  if (choice === 'swiftshader') {
    const f = await tryRecipe(dawn, swiftShaderRecipe(env));
    if (!f) throw new WebGpuRuntimeError(`Dawn found no Vulkan adapter through SwiftShader's driver ${findSwiftShaderIcd(env)}; is the Debian package libvulkan1 installed?`);
    return f;
  }
  if (choice === 'llvmpipe') {
    const f = await tryRecipe(dawn, LLVMPIPE);
    if (!f) {
      throw new WebGpuRuntimeError(
        `Dawn found no OpenGL adapter through EGL (EGL_PLATFORM=surfaceless); install the Debian packages libegl1, libegl-mesa0 and libgl1-mesa-dri`,
      );
    }
    if (!matchesName(f, 'llvmpipe')) throw new WebGpuRuntimeError(`the OpenGL adapter is ${f.fingerprint.description}, not Mesa's llvmpipe`);
    return f;
  }
  if (choice === 'auto') {
    const native = await tryRecipe(dawn, NATIVE);
    if (native && isRealGpu(native)) return native;
    const llvmpipe = await tryRecipe(dawn, LLVMPIPE);
    if (llvmpipe) return llvmpipe;
    if (findSwiftShaderIcd(env)) {
      const swiftshader = await tryRecipe(dawn, swiftShaderRecipe(env));
      if (swiftshader) return swiftshader;
    }
    throw new WebGpuRuntimeError(
      'no WebGPU adapter found: no GPU driver, no llvmpipe (Debian packages libegl1 libegl-mesa0 libgl1-mesa-dri) and no SwiftShader (Debian packages chromium libvulkan1)',
    );
  }
  const all = await listAdapters(dawn, env);
  const match = all.find((f) => matchesName(f, choice));
  if (!match) throw new WebGpuRuntimeError(`no WebGPU adapter matches ${JSON.stringify(choice)}; available: ${listing(all)}`);
  // listAdapters handed out adapters we do not use; requesting a device consumes only this one.
  return match;
}

/**
 * Each device's Dawn instance, kept alive for as long as the device object is: a caller that keeps
 * only `device` would otherwise let the instance be collected, and Dawn then aborts the process
 * ("futex facility returned an unexpected error code") instead of failing a call.
 */
const INSTANCE_OF_DEVICE = new WeakMap<GPUDevice, GPU>();

/** Finds the adapter and requests a device fit for the requirements (see requestDeviceFor). */
export async function acquireDawnDevice(dawn: DawnModule, options: DawnAdapterOptions & DeviceRequirements = {}): Promise<AcquiredDevice> {
  const found = await findAdapter(dawn, options);
  const device = await requestDeviceFor(found.adapter, options);
  INSTANCE_OF_DEVICE.set(device, found.gpu);
  return { device, fingerprint: found.fingerprint, gpu: found.gpu, release: () => device.destroy() };
}
