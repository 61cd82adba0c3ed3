import { basename } from 'node:path';
import { GraphBuilder } from '../builder.js';
import { VitcError } from '../errors.js';
import type { Graph, Value } from '../graph.js';
import { Identity } from '../ops/index.js';
import type { Tensor } from '../tensor.js';
import { verifyGraph } from '../verify.js';
import { describeNode, type ImportState, materializeConst, NodeContext } from './context.js';
import { CONVERTERS } from './convert/registry.js';
import { dropDeadNodes } from './drop-dead.js';
import { graphInputTypes } from './graph-inputs.js';
import { type Known, knownConst, knownValue } from './known-values.js';
import { topologicalOrder } from './node-order.js';
import { type LoadedModel, readOnnxFile } from './read-model.js';
import { findGelus } from './recognize-gelu.js';
import { findLayerNorms } from './recognize-layer-norm.js';
import { applyRewrites } from './recognize-match.js';
import type { OnnxNode } from './schema.js';
import { tensorFromProto } from './tensor-proto.js';

export interface ImportOptions {
  /** Rewrite decomposed LayerNorm and erf-GELU into single ops (default true). */
  readonly recognize?: boolean;
}

/** Reads an ONNX file and imports it into a vitc graph. */
export function importOnnxFile(path: string, opts: ImportOptions = {}): Graph {
  return importOnnx(readOnnxFile(path), opts);
}

/**
 * Imports a validated ONNX model: each ONNX value becomes an IR value, a folded constant or a
 * symbolic shape; shape subgraphs fold away; LayerNorm/GELU decompositions are recognised; dead
 * nodes are dropped. Fails with a one-line VitcError at the first problem.
 */
export function importOnnx(model: LoadedModel, opts: ImportOptions = {}): Graph {
  const run = runImport(model, { lenient: false, recognize: opts.recognize ?? true });
  return run.graph!;
}

/** How one ONNX node was handled (for the coverage report). */
export type NodeOutcome =
  | { readonly kind: 'converted'; readonly first: number; readonly end: number }
  | { readonly kind: 'unsupported' }
  | { readonly kind: 'failed'; readonly message: string }
  | { readonly kind: 'skipped'; readonly because: string };

export interface NodeRecord {
  readonly node: OnnxNode;
  readonly outcome: NodeOutcome;
}

export interface ImportRun {
  readonly records: readonly NodeRecord[];
  /** The graph as converted, before recognition (node ranges in records index it). */
  readonly converted: Graph | undefined;
  /** The final graph; undefined in lenient mode when something failed. */
  readonly graph: Graph | undefined;
  /** Pattern nodes absorbed by recognition, keyed by first result, with the op they became. */
  readonly absorbed: ReadonlyMap<Value, string>;
  /** First results of the nodes that survived into `graph`. */
  readonly surviving: ReadonlySet<Value> | undefined;
}

/**
 * The import itself. In lenient mode (coverage reports) a failing or unsupported node does not
 * stop the import: its results are marked absent and the nodes depending on them are skipped.
 */
export function runImport(model: LoadedModel, opts: { lenient: boolean; recognize: boolean }): ImportRun {
  const { graph: og, file, opset } = model;
  const src = { dir: model.dir, file };
  const builder = new GraphBuilder(og.name || basename(file).replace(/\.onnx$/i, '') || 'model');
  const state: ImportState = { builder, src, opset, constValues: new Map<Tensor, Value>(), usedNames: new Set<string>() };
  const env = new Map<string, Known>();

  for (const t of og.initializer ?? []) {
    const tensor = withFile(file, () => tensorFromProto(t, src));
    env.set(t.name!, knownConst(tensor, t.name));
  }
  const inputs = (og.input ?? []).filter((vi) => !env.has(vi.name!));
  const types = graphInputTypes(inputs, file);
  inputs.forEach((vi, i) => {
    if (env.has(vi.name!)) throw new VitcError(`graph input '${vi.name}' is declared twice`, { file });
    env.set(vi.name!, knownValue(builder.input(vi.name!, types[i]!)));
    state.usedNames.add(vi.name!);
  });

  const records: NodeRecord[] = [];
  let failures = 0;
  for (const node of topologicalOrder(og.node ?? [], new Set(env.keys()), file)) {
    const first = builder.nodeCount;
    const outcome = convertNode(state, env, node, opts.lenient);
    if (outcome.kind !== 'converted') failures++;
    records.push({ node, outcome: outcome.kind === 'converted' ? { kind: 'converted', first, end: builder.nodeCount } : outcome });
  }

  const complete = failures === 0;
  for (const vi of og.output ?? []) {
    const k = env.get(vi.name!);
    if (!k) throw new VitcError(`graph output '${vi.name}' is not produced by any node`, { file });
    if (!complete) {
      if (k.kind === 'value' && !k.value.name) builder.output(k.value, vi.name!);
      continue;
    }
    withFile(file, () => addGraphOutput(state, k, vi.name!), `graph output '${vi.name}'`);
  }
  const converted = builder.build();
  if (!complete) return { records, converted, graph: undefined, absorbed: new Map(), surviving: undefined };
  withFile(file, () => verifyGraph(converted));

  let graph = converted;
  let absorbed = new Map<Value, string>();
  if (opts.recognize) {
    const ln = applyRewrites(graph, findLayerNorms(graph));
    const ge = applyRewrites(ln.graph, findGelus(ln.graph));
    absorbed = new Map([...ln.absorbed, ...ge.absorbed]);
    graph = ge.graph;
  }
  graph = dropDeadNodes(graph);
  withFile(file, () => verifyGraph(graph));
  const surviving = new Set(graph.nodes.map((n) => n.outputs[0]!));
  return { records, converted, graph, absorbed, surviving };
}

function convertNode(state: ImportState, env: Map<string, Known>, node: OnnxNode, lenient: boolean): NodeOutcome {
  const opType = node.opType!;
  const names = node.output ?? [];
  const inputs = (node.input ?? []).map((n) => (n ? env.get(n) : undefined));
  const poisoned = inputs.find((k) => k?.kind === 'absent' && k.poisoned);
  const markAbsent = (why: string) => {
    for (const o of names) if (o) env.set(o, { kind: 'absent', why, poisoned: true });
  };
  if (lenient && poisoned?.kind === 'absent') {
    markAbsent(poisoned.why);
    return { kind: 'skipped', because: poisoned.why };
  }
  const convert = CONVERTERS.get(opType);
  const where = { file: state.src.file, context: describeNode(node) };
  if (!convert) {
    const msg = `unsupported op '${opType}' (node '${node.name ?? ''}', opset ${state.opset})`;
    if (!lenient) throw new VitcError(msg, { file: state.src.file });
    markAbsent(`value depends on the unsupported op '${opType}' (node '${node.name ?? ''}')`);
    return { kind: 'unsupported' };
  }
  try {
    const ctx = new NodeContext(state, node, inputs);
    const outs = convert(ctx);
    const unread = ctx.attrs.unread();
    if (unread.length) throw new VitcError(`attribute${unread.length > 1 ? 's' : ''} ${unread.map((a) => `'${a}'`).join(', ')} of ${opType} ${unread.length > 1 ? 'are' : 'is'} not supported`);
    names.forEach((o, i) => {
      if (!o) return;
      const k = outs[i] ?? { kind: 'absent', why: `output ${i} of ${opType} is not supported`, poisoned: false };
      env.set(o, k);
    });
    return { kind: 'converted', first: 0, end: 0 };
  } catch (e) {
    if (!(e instanceof VitcError)) throw e;
    const err = e.loc?.file ? e : e.withLoc(where);
    if (!lenient) throw err;
    markAbsent(`value depends on node '${node.name ?? ''}' (${opType}), which failed to convert`);
    return { kind: 'failed', message: err.bareMessage };
  }
}

/** Gives a graph output its ONNX name, adding an identity where the value already has another. */
function addGraphOutput(state: ImportState, k: Known, name: string): void {
  const b = state.builder;
  switch (k.kind) {
    case 'value':
    case 'const': {
      const v = k.kind === 'value' ? k.value : materializeConst(state, k);
      if (v.name === name) b.output(v);
      else if (v.name === undefined && !state.usedNames.has(name)) b.output(v, name);
      // The value already has another public name (an input, an initializer, an earlier output).
      else b.output(b.add1(Identity, [v], {}, { outNames: [name] }));
      break;
    }
    case 'sym':
      throw new VitcError(`depends on the batch size ([${k.sym.elems.join(',')}]); vitc cannot compute shape values at run time`);
    case 'absent':
      throw new VitcError(k.why);
  }
  state.usedNames.add(name);
}

/** Runs `f`, giving VitcErrors without a file this one (and an optional context). */
function withFile<T>(file: string, f: () => T, context?: string): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof VitcError && !e.loc?.file) throw e.withLoc(context ? { file, context } : { file });
    throw e;
  }
}
