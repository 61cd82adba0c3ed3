import type { OptionSpec } from '../passes/options.js';
import { PROPERTIES } from '../passes/properties.js';
import { PASS_REGISTRY, type PassRegistry } from '../passes/registry.js';

/** The pass list for `--help`: each pass, its options with types and defaults, and its contract. */
export function formatPassHelp(registry: PassRegistry = PASS_REGISTRY): string {
  const lines: string[] = [];
  for (const p of registry.values()) {
    lines.push(`${p.name}: ${p.summary}`);
    for (const [k, spec] of Object.entries(p.options)) lines.push(`    ${k}=${kindText(spec)}${defaultText(spec)}  ${spec.doc}`);
    if (p.requires.length) lines.push(`    requires: ${p.requires.join(', ')}`);
    const est = p.establishes.map((e) => (typeof e === 'string' ? e : `${e.property} (with ${e.whenOption})`));
    if (est.length) lines.push(`    establishes: ${est.join(', ')}`);
  }
  lines.push('', 'properties:');
  for (const [name, doc] of Object.entries(PROPERTIES)) lines.push(`    ${name}: ${doc}`);
  return `${lines.join('\n')}\n`;
}

function kindText(spec: OptionSpec): string {
  if (spec.oneOf) return spec.oneOf.join('|');
  const range = spec.min !== undefined || spec.max !== undefined ? `[${spec.min ?? ''}..${spec.max ?? ''}]` : '';
  return `<${spec.kind}${range}>`;
}

function defaultText(spec: OptionSpec): string {
  if (spec.default === undefined) return spec.optional ? ' (optional)' : ' (required)';
  return ` (default ${Array.isArray(spec.default) ? spec.default.join(',') : String(spec.default)})`;
}
