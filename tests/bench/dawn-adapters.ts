import { tmpdir } from 'node:os';
import { create } from 'webgpu';
import { VitcError } from '../../ir/errors.js';
import { cpuAdapterRecipe, type Recipe, withEnv } from '../../runtime/webgpu/dawn-adapters.js';
import { WebGpuRuntimeError } from '../../runtime/webgpu/executor.js';

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

/** The runtime's recipe, plus what a measurement needs: the adapter it must be, and no disk shader cache. */
function recipeFor(name: AdapterName): Recipe & { readonly expect: RegExp } {
  let recipe: Recipe;
  try {
    recipe = cpuAdapterRecipe(name);
  } catch (e) {
    if (e instanceof WebGpuRuntimeError) throw new VitcError(e.message);
    throw e;
  }
  // Mesa's on-disk shader cache would make "first inference" depend on earlier runs; it is off
  // unless the caller set MESA_SHADER_CACHE_DISABLE themselves. Without XDG_RUNTIME_DIR, Vulkan
  // drivers' Wayland probe prints an error line; a folder without a socket keeps it quiet.
  const env = {
    ...recipe.env,
    ...(name === 'llvmpipe' ? { MESA_SHADER_CACHE_DISABLE: process.env.MESA_SHADER_CACHE_DISABLE ?? 'true' } : { XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR || tmpdir() }),
  };
  return { ...recipe, env, expect: name === 'llvmpipe' ? /llvmpipe/i : /swiftshader/i };
}

/** Opens the named adapter once (to check it is really there) and returns a source of more. */
export async function openAdapterSource(name: AdapterName): Promise<AdapterSource> {
  const recipe = recipeFor(name);
  const gpu = withEnv(recipe.env, () => create([...recipe.createOptions]));
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
