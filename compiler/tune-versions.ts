import { createRequire } from 'node:module';

/** The Dawn build that compiles WGSL here (the npm `webgpu` package), part of a device's driver. */
export function dawnVersion(): string {
  try {
    const pkg = createRequire(import.meta.url)('webgpu/package.json') as { version?: string };
    return `dawn (npm webgpu ${pkg.version ?? '?'})`;
  } catch {
    return 'dawn (npm webgpu ?)';
  }
}
