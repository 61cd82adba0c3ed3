import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The fields of vitc's own package.json an artifact records. */
export interface VitcPackage {
  readonly version: string;
  /** The `webgpu` version range vitc is built against: the artifact's peer dependency. */
  readonly webgpuRange: string;
}

/** Reads vitc's package.json, found above this compiled file (dist/compiler/artifact/ or compiler/artifact/). */
export function vitcPackage(): VitcPackage {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const path = join(dir, 'package.json');
    if (existsSync(path)) {
      const pkg = JSON.parse(readFileSync(path, 'utf8')) as { name?: string; version?: string; dependencies?: Record<string, string> };
      if (pkg.name === 'vitc' && pkg.version) return { version: pkg.version, webgpuRange: pkg.dependencies?.webgpu ?? '*' };
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`vitc's package.json was not found above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}
