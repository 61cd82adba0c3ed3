import { isDType } from '../ir/dtype.js';
import { VitcError } from '../ir/errors.js';
import type { OptionSchema, OptionSpec, OptionsOf } from '../passes/options.js';
import type { PassDef } from '../passes/pass.js';
import { PASS_REGISTRY, type PassRegistry } from '../passes/registry.js';

/**
 * Pipeline strings, the way users type them:
 *
 *   canonicalize, fold-constants, ppt{layers=3,6,9 r=50 tau=7e-5}, attn-to-conv{auto threshold=0.5}
 *
 * Passes are separated by commas; options go in braces, separated by spaces, as `key=value`
 * (lists are comma-separated values) or a bare `key` for a flag. Every error names the column.
 */
export interface PipelineEntry<S extends OptionSchema = OptionSchema> {
  readonly pass: PassDef<S>;
  readonly options: OptionsOf<S>;
  /** 1-based column of the pass name in the pipeline text. */
  readonly col: number;
}

export interface Pipeline {
  readonly text: string;
  readonly entries: readonly PipelineEntry[];
  /** What the text came from in messages (`--passes`, a golden file's RUN line). */
  readonly source: string;
}

const NAME_RE = /[a-z][a-z0-9_-]*/y;
const ATOM_RE = /[^\s,{}=]+/y;
const WS_RE = /\s*/y;

export function parsePipeline(text: string, source = 'pipeline', registry: PassRegistry = PASS_REGISTRY): Pipeline {
  return { text, source, entries: new PipelineParser(text, source, registry).parse() };
}

/** The pipeline text for entries, with options in schema order and defaults left out. */
export function formatPipeline(entries: readonly PipelineEntry[]): string {
  return entries.map(formatEntry).join(',');
}

export function formatEntry(e: PipelineEntry): string {
  const parts: string[] = [];
  for (const [k, spec] of Object.entries(e.pass.options)) {
    const v = (e.options as Record<string, unknown>)[k];
    if (v === undefined || sameValue(v, spec.default)) continue;
    if (spec.kind === 'bool') parts.push(v ? k : `${k}=false`);
    else parts.push(`${k}=${Array.isArray(v) ? v.join(',') : String(v)}`);
  }
  return parts.length ? `${e.pass.name}{${parts.join(' ')}}` : e.pass.name;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => x === b[i]);
  return a === b;
}

interface Atom {
  readonly text: string;
  readonly col: number;
}

class PipelineParser {
  #pos = 0;
  constructor(
    readonly text: string,
    readonly source: string,
    readonly registry: PassRegistry,
  ) {}

  parse(): PipelineEntry[] {
    const entries: PipelineEntry[] = [];
    this.#skipWs();
    if (this.#atEnd()) return entries;
    for (;;) {
      entries.push(this.#entry());
      this.#skipWs();
      if (this.#atEnd()) return entries;
      if (this.#peek() !== ',') this.#fail(`expected ',' between passes, found '${this.#peek()}'`);
      this.#pos++;
      this.#skipWs();
    }
  }

  #entry(): PipelineEntry {
    const col = this.#col();
    const name = this.#match(NAME_RE);
    if (name === undefined) this.#fail(this.#atEnd() ? 'expected a pass name at the end of the pipeline' : `expected a pass name, found '${this.#peek()}'`);
    const pass = this.registry.get(name);
    if (!pass) this.#fail(`unknown pass '${name}'${suggest(name, [...this.registry.keys()])}`, col);
    const given = new Map<string, { atoms: Atom[] | undefined; col: number }>();
    this.#skipWs();
    if (this.#peek() === '{') {
      this.#pos++;
      for (;;) {
        this.#skipWs();
        if (this.#peek() === '}') {
          this.#pos++;
          break;
        }
        if (this.#atEnd()) this.#fail(`unclosed '{' in the options of '${name}'`);
        const keyCol = this.#col();
        const key = this.#match(NAME_RE);
        if (key === undefined) this.#fail(`expected an option name, found '${this.#peek()}'`);
        if (given.has(key)) this.#fail(`option '${key}' of '${name}' is given twice`, keyCol);
        let atoms: Atom[] | undefined;
        if (this.#peek() === '=') {
          this.#pos++;
          atoms = [this.#atom(key)];
          while (this.#peek() === ',') {
            this.#pos++;
            atoms.push(this.#atom(key));
          }
        }
        given.set(key, { atoms, col: keyCol });
        const next = this.#peek();
        if (next !== undefined && next !== '}' && !/\s/.test(next)) this.#fail(`unexpected '${next}' in the options of '${name}'`);
      }
    }
    return { pass, options: this.#options(pass, given, col), col };
  }

  #atom(key: string): Atom {
    const col = this.#col();
    const text = this.#match(ATOM_RE);
    if (text === undefined) this.#fail(`option '${key}' needs a value after '='`);
    return { text, col };
  }

  #options(pass: PassDef, given: Map<string, { atoms: Atom[] | undefined; col: number }>, passCol: number): OptionsOf<OptionSchema> {
    const schema = pass.options;
    for (const [key, g] of given)
      if (!Object.hasOwn(schema, key)) {
        const known = Object.keys(schema);
        const list = known.length ? `; it takes ${known.join(', ')}` : '; it takes no options';
        this.#fail(`unknown option '${key}' for pass '${pass.name}'${list}`, g.col);
      }
    const out: Record<string, unknown> = {};
    for (const [key, spec] of Object.entries(schema)) {
      const g = given.get(key);
      if (g === undefined) {
        if (spec.default === undefined && !spec.optional) this.#fail(`pass '${pass.name}' needs option '${key}' (${spec.doc})`, passCol);
        out[key] = spec.default;
      } else out[key] = this.#value(pass, key, spec, g.atoms, g.col);
    }
    return Object.freeze(out) as OptionsOf<OptionSchema>;
  }

  #value(pass: PassDef, key: string, spec: OptionSpec, atoms: Atom[] | undefined, keyCol: number): unknown {
    const what = `option '${key}' of '${pass.name}'`;
    if (atoms === undefined) {
      if (spec.kind === 'bool') return true;
      this.#fail(`${what} needs a value (${key}=...)`, keyCol);
    }
    const isList = spec.kind === 'ints' || spec.kind === 'floats';
    if (!isList && atoms.length > 1) this.#fail(`${what} takes one value, not a list`, atoms[1]!.col);
    const one = (a: Atom): unknown => {
      switch (spec.kind) {
        case 'int':
        case 'ints': {
          if (!/^[+-]?\d+$/.test(a.text) || !Number.isSafeInteger(Number(a.text))) this.#fail(`${what} must be an integer, got '${a.text}'`, a.col);
          return this.#inRange(what, spec, Number(a.text), a);
        }
        case 'float':
        case 'floats': {
          if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(a.text)) this.#fail(`${what} must be a number, got '${a.text}'`, a.col);
          return this.#inRange(what, spec, Number(a.text), a);
        }
        case 'bool':
          if (a.text !== 'true' && a.text !== 'false') this.#fail(`${what} is a flag: write '${key}', '${key}=true' or '${key}=false', not '${a.text}'`, a.col);
          return a.text === 'true';
        case 'dtype':
          if (!isDType(a.text)) this.#fail(`${what} must be an element type, got '${a.text}'`, a.col);
          return a.text;
        case 'string':
          if (spec.oneOf && !spec.oneOf.includes(a.text)) this.#fail(`${what} must be one of ${spec.oneOf.join(', ')}; got '${a.text}'`, a.col);
          return a.text;
      }
    };
    const values = atoms.map(one);
    return isList ? Object.freeze(values) : values[0];
  }

  #inRange(what: string, spec: OptionSpec, v: number, a: Atom): number {
    if (spec.min !== undefined && v < spec.min) this.#fail(`${what} must be at least ${spec.min}, got ${a.text}`, a.col);
    if (spec.max !== undefined && v > spec.max) this.#fail(`${what} must be at most ${spec.max}, got ${a.text}`, a.col);
    return v;
  }

  #match(re: RegExp): string | undefined {
    re.lastIndex = this.#pos;
    const m = re.exec(this.text);
    if (!m || m[0].length === 0) return undefined;
    this.#pos += m[0].length;
    return m[0];
  }

  #skipWs(): void {
    this.#match(WS_RE);
  }

  #peek(): string | undefined {
    return this.text[this.#pos];
  }

  #atEnd(): boolean {
    return this.#pos >= this.text.length;
  }

  #col(): number {
    return this.#pos + 1;
  }

  #fail(message: string, col = this.#col()): never {
    throw new VitcError(message, { file: this.source, line: 1, col });
  }
}

/** " (did you mean 'x'?)" for a close registry name, else "". */
function suggest(name: string, known: readonly string[]): string {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = editDistance(name, k);
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(name.length / 4)) ? ` (did you mean '${best}'?)` : '';
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}
