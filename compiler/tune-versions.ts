import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** vitc's version, from the package.json above this file (src or dist). */
export function vitcVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'vitc' && pkg.version) return pkg.version;
    } catch {
      // no package.json here: keep climbing
    }
    const up = dirname(dir);
    if (up === dir) return 'unknown';
    dir = up;
  }
}

/** The Dawn build that compiles WGSL here (the npm `webgpu` package), part of a device's driver. */
export function dawnVersion(): string {
  try {
    const pkg = createRequire(import.meta.url)('webgpu/package.json') as { version?: string };
    return `dawn (npm webgpu ${pkg.version ?? '?'})`;
  } catch {
    return 'dawn (npm webgpu ?)';
  }
}
