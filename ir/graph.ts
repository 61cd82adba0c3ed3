import type { AttrSchema, AttrsOf } from './attrs.js';
import type { SourceLoc } from './errors.js';
import type { OpDef } from './op.js';
import type { TensorType } from './types.js';

/** An SSA value. Identity is the object; `id` is unique within a graph and its derived graphs. */
export interface Value {
  readonly id: number;
  readonly type: TensorType;
  /** Public name: graph inputs and outputs always have one; weights keep their source name. */
  readonly name?: string;
}

export interface Node<S extends AttrSchema = AttrSchema> {
  readonly op: OpDef<S>;
  readonly inputs: readonly Value[];
  readonly outputs: readonly Value[];
  readonly attrs: AttrsOf<S>;
  /** Source node name (ONNX) kept for messages and dumps. */
  readonly name?: string;
  /** Where the node came from (text IR position or ONNX node). */
  readonly loc?: SourceLoc;
}

declare const OP_BRAND: unique symbol;
/**
 * A node known to be of one op. The phantom brand keeps a failed `isOp` check from narrowing a
 * node to `never` (every Node is structurally a Node<{}>, the type of ops without attributes).
 */
export type NodeOf<S extends AttrSchema> = Node<S> & { readonly [OP_BRAND]: S };

/** Narrows a node to an op's attribute type. Passes match ops by definition, never by name. */
export function isOp<S extends AttrSchema>(node: Node, op: OpDef<S>): node is NodeOf<S> {
  return node.op === (op as unknown as OpDef);
}

/**
 * A dataflow graph in SSA form with nodes in topological order. Immutable: passes build new graphs.
 * Lookup tables (producers, users) are derived on first use.
 */
export class Graph {
  readonly name: string;
  readonly inputs: readonly Value[];
  readonly nodes: readonly Node[];
  readonly outputs: readonly Value[];
  #producers?: Map<Value, Node>;
  #users?: Map<Value, Node[]>;

  constructor(name: string, inputs: readonly Value[], nodes: readonly Node[], outputs: readonly Value[]) {
    this.name = name;
    this.inputs = Object.freeze([...inputs]);
    this.nodes = Object.freeze([...nodes]);
    this.outputs = Object.freeze([...outputs]);
  }

  producer(v: Value): Node | undefined {
    this.#producers ??= buildProducers(this.nodes);
    return this.#producers.get(v);
  }

  users(v: Value): readonly Node[] {
    if (!this.#users) {
      const m = new Map<Value, Node[]>();
      for (const n of this.nodes)
        for (const i of n.inputs) {
          const list = m.get(i);
          if (list) {
            if (list[list.length - 1] !== n) list.push(n);
          } else m.set(i, [n]);
        }
      this.#users = m;
    }
    return this.#users.get(v) ?? [];
  }

  isOutput(v: Value): boolean {
    return this.outputs.includes(v);
  }

  /** Largest value id in use; builders deriving from this graph allocate above it. */
  maxValueId(): number {
    let m = -1;
    for (const v of this.inputs) m = Math.max(m, v.id);
    for (const n of this.nodes) for (const o of n.outputs) m = Math.max(m, o.id);
    return m;
  }

  /** Same graph with other nodes/outputs; the name and inputs stay. */
  with(parts: { nodes?: readonly Node[]; outputs?: readonly Value[]; inputs?: readonly Value[]; name?: string }): Graph {
    return new Graph(parts.name ?? this.name, parts.inputs ?? this.inputs, parts.nodes ?? this.nodes, parts.outputs ?? this.outputs);
  }
}

function buildProducers(nodes: readonly Node[]): Map<Value, Node> {
  const m = new Map<Value, Node>();
  for (const n of nodes) for (const o of n.outputs) m.set(o, n);
  return m;
}

/** How a value is written in text and messages: `%name` when named, else `%id`. */
export function valueRef(v: Value): string {
  return `%${v.name ?? v.id}`;
}

/** Human-readable position of a node for messages: its source location, else its name and op. */
export function nodeWhere(n: Node): { file?: string; line?: number; col?: number; context: string } {
  const what = n.name ? `node '${n.name}' (${n.op.name})` : `'${n.op.name}' defining ${n.outputs.map(valueRef).join(', ') || 'nothing'}`;
  return { ...n.loc, context: n.loc?.context ?? what };
}
