import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { create } from 'webgpu';
import { VitcError } from '../../ir/errors.js';

/*
 * The CPU WebGPU adapters the bench measures on, through Dawn's Node bindings (npm `webgpu`);
 * see "WebGPU adapters on a machine without a GPU" in docs/DESIGN.md.
 *
 * A WebGPU adapter hands out one device only, so every participant asks the source for its own
 * adapter; all of them come from one Dawn instance and are the same physical adapter. Dawn reads
 * the backend's environment variables while it discovers adapters, synchronously inside
 * requestAdapter(), so they are set around that call and restored after it.
 */

export type AdapterName = 'llvmpipe' | 'swiftshader';
export const ADAPTER_NAMES: readonly AdapterName[] = ['llvmpipe', 'swiftshader'];

export interface AdapterSource {
  readonly name: AdapterName;
  /** What Dawn reports for it (vendor / architecture / device / description). */
  readonly description: string;
  /** A fresh GPUAdapter for this source (each participant needs its own: an adapter gives one device). */
  requestAdapter(): Promise<GPUAdapter>;
}

interface Recipe {
  readonly createOptions: string[];
  readonly env: Record<string, string>;
  readonly featureLevel: 'core' | 'compatibility';
  /** The adapter's description must match, so a missing driver never silently measures another device. */
  readonly expect: RegExp;
}

const SWIFTSHADER_ICDS = ['/usr/lib/chromium/vk_swiftshader_icd.json', '/usr/lib/chromium-browser/vk_swiftshader_icd.json'];

function recipeFor(name: AdapterName): Recipe {
  if (name === 'llvmpipe') {
    return {
      createOptions: ['backend=opengl'],
      // Mesa's on-disk shader cache would make "first inference" depend on earlier runs; it is
      // off unless the caller set MESA_SHADER_CACHE_DISABLE themselves.
      env: {
        EGL_PLATFORM: process.env.EGL_PLATFORM || 'surfaceless',
        LIBGL_ALWAYS_SOFTWARE: '1',
        MESA_SHADER_CACHE_DISABLE: process.env.MESA_SHADER_CACHE_DISABLE ?? 'true',
      },
      featureLevel: 'compatibility',
      expect: /llvmpipe/i,
    };
  }
  const icd = process.env.VITC_SWIFTSHADER_ICD ?? SWIFTSHADER_ICDS.find((p) => existsSync(p));
  if (!icd || !existsSync(icd)) {
    throw new VitcError(
      'SwiftShader Vulkan ICD not found (looked for /usr/lib/chromium/vk_swiftshader_icd.json): install chromium and libvulkan1, or set VITC_SWIFTSHADER_ICD',
    );
  }
  return {
    createOptions: ['backend=vulkan'],
    // VK_DRIVER_FILES is the newer name and wins when both are set. Without XDG_RUNTIME_DIR,
    // SwiftShader's Wayland probe prints an error line; a folder without a socket keeps it quiet.
    env: { VK_ICD_FILENAMES: icd, VK_DRIVER_FILES: icd, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR || tmpdir() },
    featureLevel: 'core',
    expect: /swiftshader/i,
  };
}

/** Opens the named adapter once (to check it is really there) and returns a source of more. */
export async function openAdapterSource(name: AdapterName): Promise<AdapterSource> {
  const recipe = recipeFor(name);
  const gpu = withEnv(recipe.env, () => create(recipe.createOptions));
  const requestAdapter = async (): Promise<GPUAdapter> => {
    const pending = withEnv(recipe.env, () => gpu.requestAdapter({ featureLevel: recipe.featureLevel }));
    const adapter = await pending;
    if (!adapter) throw new VitcError(`Dawn found no ${name} adapter (${recipe.createOptions.join(' ')})`);
    const description = describeAdapter(adapter);
    if (!recipe.expect.test(description)) throw new VitcError(`asked Dawn for ${name} but got "${description}"`);
    return adapter;
  };
  const description = describeAdapter(await requestAdapter());
  return { name, description, requestAdapter };
}

export function describeAdapter(adapter: GPUAdapter): string {
  const info = adapter.info;
  return [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' / ');
}

function withEnv<T>(vars: Readonly<Record<string, string>>, fn: () => T): T {
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
