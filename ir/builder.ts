import type { AttrSchema, AttrsIn, AttrsOf } from './attrs.js';
import { VitcError, type SourceLoc } from './errors.js';
import { Graph, type Node, type Value } from './graph.js';
import { normalizeAttrs } from './normalize-attrs.js';
import { type OpDef, operandArity, outputCount } from './op.js';
import { Const } from './ops/const.js';
import type { Tensor } from './tensor.js';
import type { TensorType } from './types.js';

export interface NodeOptions {
  readonly name?: string;
  readonly loc?: SourceLoc;
  /** Names for the results (graph outputs, readable dumps). */
  readonly outNames?: readonly (string | undefined)[];
}

type MutableValue = { -readonly [K in keyof Value]: Value[K] };

/**
 * The one place graphs are assembled. Appends nodes in order (which must be topological),
 * infers result types through each op's definition, and freezes everything in `build()`.
 */
export class GraphBuilder {
  readonly name: string;
  #nextId: number;
  readonly #inputs: Value[] = [];
  readonly #nodes: Node[] = [];
  #outputs: Value[] = [];

  constructor(name: string, firstId = 0) {
    this.name = name;
    this.#nextId = firstId;
  }

  /** A builder for a rewrite of `g`: same name and inputs, fresh ids above g's. */
  static derive(g: Graph): GraphBuilder {
    const b = new GraphBuilder(g.name, g.maxValueId() + 1);
    b.#inputs.push(...g.inputs);
    return b;
  }

  /** A fresh value of a known type, not yet attached to a node. */
  newValue(type: TensorType, name?: string): Value {
    const v: MutableValue = { id: this.#nextId++, type };
    if (name !== undefined) v.name = name;
    return v;
  }

  input(name: string, type: TensorType): Value {
    const v = this.newValue(type, name);
    this.#inputs.push(v);
    return v;
  }

  /** Appends `op(inputs)`; result types come from the op's inference. */
  add<S extends AttrSchema>(op: OpDef<S>, inputs: readonly Value[], attrs: AttrsIn<S>, opts: NodeOptions = {}): Value[] {
    try {
      const full = normalizeAttrs(op, attrs);
      checkArity(op, inputs.length);
      const types = op.infer(inputs.map((v) => v.type), full);
      const n = outputCount(op, full as AttrsOf<AttrSchema>, inputs.length);
      if (types.length !== n) throw new VitcError(`inference produced ${types.length} results, expected ${n}`);
      const outputs = types.map((t, i) => this.newValue(t, opts.outNames?.[i]));
      this.#push({ op, inputs, outputs, attrs: full, name: opts.name, loc: opts.loc });
      return outputs;
    } catch (e) {
      throw withNodeContext(e, op.name, opts);
    }
  }

  /** `add` for single-result ops. */
  add1<S extends AttrSchema>(op: OpDef<S>, inputs: readonly Value[], attrs: AttrsIn<S>, opts: NodeOptions = {}): Value {
    const out = this.add(op, inputs, attrs, opts);
    if (out.length !== 1) throw new VitcError(`op '${op.name}' has ${out.length} results, expected 1`);
    return out[0]!;
  }

  constant(t: Tensor, name?: string, opts: NodeOptions = {}): Value {
    return this.add1(Const, [], { value: t }, { ...opts, outNames: [name] });
  }

  /**
   * Appends a node with declared result values, without inference (the text parser and
   * node-copying rewrites). The verifier checks the declared types later.
   */
  addNode(node: Node): void {
    this.#push(node);
  }

  /** Re-appends `node` with some operands replaced; results keep their values. */
  copyNode(node: Node, inputs: readonly Value[]): void {
    this.#push({ ...node, inputs });
  }

  output(v: Value, name?: string): void {
    if (name !== undefined && v.name !== name) this.rename(v, name);
    this.#outputs.push(v);
  }

  setOutputs(vs: readonly Value[]): void {
    this.#outputs = [...vs];
  }

  /** Gives a value a public name. Only for values this builder created and has not built yet. */
  rename(v: Value, name: string): void {
    if (Object.isFrozen(v)) throw new VitcError(`cannot rename value %${v.name ?? v.id} of an already built graph to '${name}'`);
    (v as MutableValue).name = name;
  }

  get nodeCount(): number {
    return this.#nodes.length;
  }

  build(): Graph {
    for (const v of this.#inputs) Object.freeze(v);
    for (const n of this.#nodes) for (const o of n.outputs) Object.freeze(o);
    return new Graph(this.name, this.#inputs, this.#nodes, this.#outputs);
  }

  #push(node: Node): void {
    this.#nodes.push(Object.freeze({ ...node, inputs: Object.freeze([...node.inputs]), outputs: Object.freeze([...node.outputs]) }));
  }
}

export function checkArity(op: OpDef, n: number): void {
  const { min, max } = operandArity(op);
  if (n < min || n > max) {
    const want = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
    throw new VitcError(`op '${op.name}' takes ${want} operands, got ${n}`);
  }
}

function withNodeContext(e: unknown, opName: string, opts: NodeOptions): unknown {
  if (!(e instanceof VitcError)) return e;
  const context = opts.loc?.context ?? (opts.name ? `node '${opts.name}' (${opName})` : `op '${opName}'`);
  return e.withLoc({ ...opts.loc, context });
}

