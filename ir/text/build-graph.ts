import type { AttrsOf, AttrSchema } from '../attrs.js';
import { checkArity, GraphBuilder } from '../builder.js';
import { VitcError } from '../errors.js';
import type { Graph, Value } from '../graph.js';
import { normalizeAttrs } from '../normalize-attrs.js';
import { type OpDef, outputCount } from '../op.js';
import { Const, lookupOp } from '../ops/index.js';
import type { Tensor } from '../tensor.js';
import { type TensorType, typesEqual, typeToString } from '../types.js';
import { verifyGraph } from '../verify.js';
import { readAttr, readDense, readType, staticShape } from './literals.js';
import { quoteName } from './names.js';
import type { GraphSyntax, NodeSyntax, Pos, ReturnSyntax, TensorPayloadSyntax, TypeSyntax, ValueNameSyntax, WeightRefSyntax } from './syntax.js';
import { weightsPathProblem } from './weights-path.js';

export interface BuildOptions {
  /** Shown in every error position. */
  readonly file?: string;
  /** Loads the weights file named by the graph's `weights "..."` clause (a path relative to the .vir file). */
  readonly loadWeights?: (path: string) => ReadonlyMap<string, Tensor>;
  /** Op lookup by text name; the registry by default (tests pass their own ops). */
  readonly lookupOp?: (name: string) => OpDef | undefined;
}

/**
 * Turns parsed text into a verified Graph: resolves value names in order, reads attributes against
 * each op's schema, infers result types and checks the written ones against them.
 */
export function buildGraph(s: GraphSyntax, opts: BuildOptions = {}): Graph {
  return new GraphAssembly(s, opts).run();
}

function fail(message: string, pos: Pos): never {
  throw new VitcError(message, pos);
}

function at(pos: Pos): string {
  return `${pos.line}:${pos.col}`;
}

function keyOf(v: ValueNameSyntax): string {
  return v.name !== undefined ? `n${v.name}` : `i${v.id}`;
}

/** The state of one build: the builder, the names in scope, the lazily loaded weights. */
class GraphAssembly {
  readonly #s: GraphSyntax;
  readonly #opts: BuildOptions;
  readonly #b: GraphBuilder;
  /** Where each value is first defined, for "use before definition" messages. */
  readonly #definedAt = new Map<string, Pos>();
  readonly #scope = new Map<string, Value>();
  #weights: ReadonlyMap<string, Tensor> | undefined;

  constructor(s: GraphSyntax, opts: BuildOptions) {
    this.#s = s;
    this.#opts = opts;
    let maxId = -1;
    const noteDef = (v: ValueNameSyntax): void => {
      if (!this.#definedAt.has(keyOf(v))) this.#definedAt.set(keyOf(v), v.pos);
      if (v.id !== undefined) maxId = Math.max(maxId, v.id);
    };
    s.params.forEach((p) => noteDef(p.value));
    for (const st of s.body) if (st.kind === 'node') st.results.forEach(noteDef);
    // Anonymous values keep the ids written in the text; named ones are numbered above them.
    this.#b = new GraphBuilder(s.name, maxId + 1);
  }

  run(): Graph {
    const s = this.#s;
    if (s.weights) {
      const problem = weightsPathProblem(s.weights.path);
      if (problem) fail(problem, s.weights.pos);
    }
    for (const p of s.params) {
      if (p.value.name === undefined) fail(`graph input ${p.value.text} needs a name`, p.value.pos);
      const v = this.#b.input(p.value.name, readType(p.type));
      this.#define(p.value, v);
    }
    let ret: ReturnSyntax | undefined;
    for (const st of s.body) {
      if (ret) fail(`statement after 'return' (at ${at(ret.pos)})`, st.pos);
      if (st.kind === 'return') ret = st;
      else this.#node(st);
    }
    if (!ret) fail(`graph @${quoteName(s.name)} has no 'return'`, s.endPos);
    this.#return(ret);
    const g = this.#b.build();
    verifyGraph(g);
    return g;
  }

  #loc(pos: Pos): { file?: string; line: number; col: number } {
    return this.#opts.file !== undefined ? { file: this.#opts.file, line: pos.line, col: pos.col } : { line: pos.line, col: pos.col };
  }

  #define(name: ValueNameSyntax, v: Value): void {
    const key = keyOf(name);
    const first = this.#scope.get(key);
    if (first) fail(`redefinition of ${name.text} (first defined at ${at(this.#definedAt.get(key)!)})`, name.pos);
    this.#scope.set(key, v);
  }

  #use(name: ValueNameSyntax): Value {
    const v = this.#scope.get(keyOf(name));
    if (v) return v;
    const def = this.#definedAt.get(keyOf(name));
    if (def) fail(`use of ${name.text} before its definition at ${at(def)}`, name.pos);
    return fail(`undefined value ${name.text}`, name.pos);
  }

  #node(n: NodeSyntax): void {
    const op = (this.#opts.lookupOp ?? lookupOp)(n.op) ?? fail(`unknown op '${n.op}'`, n.opPos);
    const inputs = n.operands.map((o) => this.#use(o));
    const given = this.#attrs(op, n);
    const attrs = locate(n.opPos, () => normalizeAttrs(op, given as AttrsOf<AttrSchema>));
    locate(n.opPos, () => checkArity(op, inputs.length));
    const count = outputCount(op, attrs, inputs.length);
    if (n.results.length !== count) fail(`'${op.name}' has ${plural(count, 'result')}, but ${n.results.length} ${n.results.length === 1 ? 'is' : 'are'} named`, n.pos);
    const inferred = locate(n.opPos, () => op.infer(inputs.map((v) => v.type), attrs));
    if (n.types) this.#checkDeclared(op, n, n.types, inferred);
    const outputs = n.results.map((r, i) => {
      const v = r.name !== undefined ? this.#b.newValue(inferred[i]!, r.name) : anonymousValue(r.id!, inferred[i]!);
      this.#define(r, v);
      return v;
    });
    this.#b.addNode({ op, inputs, outputs, attrs, ...(n.name !== undefined ? { name: n.name } : {}), loc: this.#loc(n.pos) });
  }

  #attrs(op: OpDef, n: NodeSyntax): Record<string, unknown> {
    const given: Record<string, unknown> = {};
    for (const a of n.attrs) {
      if (!Object.hasOwn(op.attrs, a.key)) {
        const known = Object.keys(op.attrs);
        fail(`op '${op.name}' has no attribute '${a.key}'${known.length ? ` (it has ${known.join(', ')})` : ''}`, a.keyPos);
      }
      if (Object.hasOwn(given, a.key)) fail(`attribute '${a.key}' is given twice`, a.keyPos);
      given[a.key] = readAttr(op.name, a.key, op.attrs[a.key]!, a.value, (lit) => this.#tensor(lit.payload, lit.type));
    }
    if (n.payload) {
      // `const dense<...> : type` is shorthand for const's value attribute, typed by the result type.
      if (op !== (Const as unknown as OpDef)) fail(`only 'const' takes a value before its type; '${op.name}' does not`, n.payload.pos);
      if (Object.hasOwn(given, 'value')) fail(`'const' is given its value twice`, n.payload.pos);
      if (!n.types || n.types.length !== 1) fail(`'const' needs exactly one result type after ':'`, n.payload.pos);
      given.value = this.#tensor(n.payload, n.types[0]!);
    }
    return given;
  }

  #checkDeclared(op: OpDef, n: NodeSyntax, types: readonly TypeSyntax[], inferred: readonly TensorType[]): void {
    if (types.length !== inferred.length) fail(`'${op.name}' has ${plural(inferred.length, 'result')}, but ${plural(types.length, 'type')} ${types.length === 1 ? 'is' : 'are'} written`, types[0]!.pos);
    types.forEach((t, i) => {
      const declared = readType(t);
      if (!typesEqual(declared, inferred[i]!))
        fail(`result ${n.results[i]!.text} is declared ${typeToString(declared)} but '${op.name}' produces ${typeToString(inferred[i]!)}`, t.pos);
    });
  }

  #tensor(payload: TensorPayloadSyntax, typeSyntax: TypeSyntax): Tensor {
    const type = readType(typeSyntax);
    if (payload.kind === 'dense') return readDense(payload, type, typeSyntax.pos);
    staticShape(type, typeSyntax.pos);
    const t = this.#weight(payload);
    if (!typesEqual({ dtype: t.dtype, shape: t.shape }, type))
      fail(`weight @${quoteName(payload.key)} is ${typeToString({ dtype: t.dtype, shape: t.shape })} in the weights file, but ${typeToString(type)} here`, typeSyntax.pos);
    return t;
  }

  #weight(ref: WeightRefSyntax): Tensor {
    const clause = this.#s.weights;
    const name = `@${JSON.stringify(ref.key)}`;
    if (!clause) fail(`${name} refers to a weights file, but the graph has no 'weights "..."' clause`, ref.pos);
    if (!this.#opts.loadWeights) fail(`${name} needs the weights file "${clause.path}", but no weights loader was given (read .vir files with readVir)`, ref.pos);
    this.#weights ??= this.#opts.loadWeights(clause.path);
    return this.#weights.get(ref.key) ?? fail(`the weights file "${clause.path}" has no tensor ${JSON.stringify(ref.key)}`, ref.pos);
  }

  #return(r: ReturnSyntax): void {
    const names = new Set<string>();
    const outs = r.values.map((name) => {
      const v = this.#use(name);
      if (v.name === undefined) fail(`graph output ${name.text} needs a name; only named values can be returned`, name.pos);
      if (names.has(v.name)) fail(`${name.text} is returned twice`, name.pos);
      names.add(v.name);
      return v;
    });
    this.#b.setOutputs(outs);
  }
}

/** Anonymous values keep the id the text gives them (`%12`), which GraphBuilder.newValue cannot do. */
function anonymousValue(id: number, type: TensorType): Value {
  return { id, type };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Runs `f`, pinning location-less VitcErrors (inference, attribute checks) to `pos`. */
function locate<T>(pos: Pos, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof VitcError && e.loc?.line === undefined) throw new VitcError(e.bareMessage, { ...e.loc, line: pos.line, col: pos.col });
    throw e;
  }
}
