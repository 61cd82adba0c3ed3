import { isSymbolName, parseSym } from './dim.js';
import { isDType } from './dtype.js';
import { type AttrSchema, type AttrSpec, type AttrsIn, type AttrsOf } from './attrs.js';
import { fail } from './errors.js';
import type { OpDef } from './op.js';
import { Tensor } from './tensor.js';

/**
 * Checks attribute values against the op's schema and fills defaults. The result carries every
 * schema key (optional ones possibly undefined) and nothing else.
 */
export function normalizeAttrs<S extends AttrSchema>(op: OpDef<S>, given: AttrsIn<S> | AttrsOf<S>): AttrsOf<S> {
  const g = given as Record<string, unknown>;
  for (const k of Object.keys(g)) if (!(k in op.attrs) && g[k] !== undefined) fail(`op '${op.name}' has no attribute '${k}'`);
  const out: Record<string, unknown> = {};
  for (const [k, spec] of Object.entries(op.attrs)) {
    let v = g[k];
    if (v === undefined) {
      if (spec.default !== undefined) v = spec.default;
      else if (!spec.optional) fail(`op '${op.name}' needs attribute '${k}'`);
    }
    if (v !== undefined) checkAttrValue(op.name, k, spec, v);
    out[k] = v;
  }
  return Object.freeze(out) as AttrsOf<S>;
}

function checkAttrValue(opName: string, key: string, spec: AttrSpec, v: unknown): void {
  const bad = (want: string): never => fail(`attribute '${key}' of '${opName}' must be ${want}`);
  switch (spec.kind) {
    case 'int':
      if (typeof v !== 'number' || !Number.isInteger(v)) bad('an integer');
      break;
    case 'float':
      if (typeof v !== 'number') bad('a number');
      break;
    case 'bool':
      if (typeof v !== 'boolean') bad('true or false');
      break;
    case 'string':
      if (typeof v !== 'string') bad('a string');
      if (spec.oneOf && !spec.oneOf.includes(v as string)) bad(`one of ${spec.oneOf.map((s) => `"${s}"`).join(', ')}`);
      break;
    case 'ints':
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'number' && Number.isInteger(x))) bad('a list of integers');
      break;
    case 'floats':
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'number')) bad('a list of numbers');
      break;
    case 'dims':
      if (
        !Array.isArray(v) ||
        !v.every((x) => (typeof x === 'number' && Number.isInteger(x)) || (typeof x === 'string' && isSymbolicDim(x)))
      )
        bad('a list of dimensions');
      break;
    case 'dtype':
      if (typeof v !== 'string' || !isDType(v)) bad('an element type');
      break;
    case 'tensor':
      if (!(v instanceof Tensor)) bad('a tensor');
      break;
  }
}

function isSymbolicDim(s: string): boolean {
  if (isSymbolName(s)) return true;
  try {
    parseSym(s);
    return true;
  } catch {
    return false;
  }
}
