import { allStatic, shapeToString } from '../../ir/dim.js';
import { VitcError } from '../../ir/errors.js';
import { type Graph, isOp, type Node, nodeWhere, type Value } from '../../ir/graph.js';
import { Const } from '../../ir/ops/const.js';
import { LayerNorm } from '../../ir/ops/norm.js';
import { Tensor } from '../../ir/tensor.js';
import type { EExpr } from '../workload/expr.js';
import type { Operand } from '../workload/types.js';
import { anchorSeed, type LayerNormSource, type PlannerApi } from './anchors.js';
import { applyChain, applyInverse, type Chain, chainTarget } from './chain.js';
import { pointwiseSeed } from './elementwise-seed.js';
import { channelwise, pointwiseExpr } from './pointwise-nodes.js';
import { packedViews, type Seed } from './seeds.js';
import type { KernelPlan, Loc, PlanBuffer, PlanIO, Task } from './types.js';
import { bijectiveStep, viewTransform } from './view-nodes.js';
import { contiguousView, expand, isContiguous, type View, viewShape } from './view.js';

/** A kernel under construction: an anchor plus the pointwise nodes fused after it. */
interface Group {
  readonly seed: Seed;
  readonly order: number;
  readonly nodes: Node[];
  epilogue: EExpr;
  /** Epilogue operands (after the seed's own), with views in the kernel's index space. */
  readonly extra: Loc[];
  /** From the index space to the shape of `value`. */
  chain: Chain;
  /** The graph value the group currently computes. */
  value: Value;
  open: boolean;
}

/** A value that is a group's result seen through bijective layout changes, not yet stored. */
interface Pending {
  readonly group: Group;
  /** From the group's value to this value. */
  readonly chain: Chain;
  /** Every value on the way is used only on the way (so fusing into the next node loses nothing). */
  readonly exclusive: boolean;
}

/** A layer_norm result kept unevaluated so matmuls can normalise their A rows on load. */
interface Deferred {
  readonly source: Value;
  readonly transform: (v: View) => View;
  /** The views on the way keep the normalised (last) axis intact. */
  readonly keepsRows: boolean;
}

/**
 * Partitions a graph with static shapes into kernels. Layout ops become views (no kernel);
 * pointwise nodes join the kernel of the value they consume when that value has no other use;
 * LayerNorm feeding only matmuls becomes their prologue; outputs of kernels whose only consumer
 * is a transpose/reshape chain are stored directly in the chain's final layout.
 */
export function planKernels(g: Graph): KernelPlan {
  return new Planner(g).run();
}

class Planner implements PlannerApi {
  readonly #g: Graph;
  readonly #buffers: PlanBuffer[] = [];
  readonly #tasks: Task[] = [];
  readonly #locs = new Map<Value, Loc>();
  readonly #pending = new Map<Value, Pending>();
  readonly #deferred = new Map<Value, Deferred>();
  readonly #layerNorms = new Map<Value, Node>();
  readonly #constants = new Map<Value, Tensor>();
  readonly #groups: Group[] = [];
  readonly #weightByTensor = new Map<Tensor, PlanBuffer>();

  constructor(g: Graph) {
    this.#g = g;
  }

  run(): KernelPlan {
    const inputs: PlanIO[] = this.#g.inputs.map((v) => {
      const shape = this.#static(v);
      const buffer = this.#buffer({ kind: 'input', dtype: this.#dtype(v), elements: count(shape), name: v.name! });
      this.#locs.set(v, { buffer, view: contiguousView(shape) });
      return { name: v.name!, shape, buffer };
    });
    for (const n of this.#g.nodes) {
      try {
        this.#visit(n);
      } catch (e) {
        if (e instanceof VitcError) throw e.withLoc(nodeWhere(n));
        throw e;
      }
    }
    const outputs = this.#g.outputs.map((v) => this.#placeOutput(v));
    // Fusion can bake a weight and then replace it (a layer norm's γ and β folded into the next
    // GEMM's weights and bias): a weight no task reads must not be uploaded.
    const read = new Set(this.#tasks.flatMap((t) => [...t.operands, t.output]));
    const buffers = this.#buffers.filter((b) => b.kind !== 'weight' || read.has(b));
    return { name: this.#g.name, buffers, tasks: this.#tasks, inputs, outputs };
  }

  // ---- PlannerApi -------------------------------------------------------------------------

  locOf(v: Value): Loc {
    const known = this.#locs.get(v);
    if (known) return known;
    const p = this.#pending.get(v);
    if (p) {
      const base = this.#materialize(p.group);
      const loc = { buffer: base.buffer, view: applyChain(p.chain, base.view) };
      this.#locs.set(v, loc);
      return loc;
    }
    const d = this.#deferred.get(v);
    if (d) {
      const src = this.locOf(d.source);
      const loc = { buffer: src.buffer, view: d.transform(src.view) };
      this.#locs.set(v, loc);
      return loc;
    }
    const c = this.#constants.get(v);
    if (c) {
      const loc = this.bake(c, v.name);
      this.#locs.set(v, loc);
      return loc;
    }
    const ln = this.#layerNorms.get(v);
    if (ln) {
      this.#layerNorms.delete(v);
      this.#startGroup(anchorSeed(ln, this)!, ln);
      return this.locOf(v);
    }
    throw new Error(`planner: value %${v.name ?? v.id} has no location`);
  }

  constantOf(v: Value): Tensor | undefined {
    return this.#constants.get(v);
  }

  bake(t: Tensor, name?: string): Loc {
    let buffer = this.#weightByTensor.get(t);
    if (!buffer) {
      const data = t.dtype === 'i64' || t.dtype === 'i32' ? Tensor.fromNumbers('i32', t.shape, t.toNumbers()) : t.dtype === 'f32' ? t : Tensor.fromNumbers('f32', t.shape, t.toNumbers());
      buffer = this.#buffer({ kind: 'weight', dtype: data.dtype === 'i32' ? 'i32' : 'f32', elements: Math.max(1, t.size), data, ...(name ? { name } : {}) });
      this.#weightByTensor.set(t, buffer);
    }
    return { buffer, view: contiguousView(t.shape) };
  }

  layerNormSource(v: Value): LayerNormSource | undefined {
    // Follow deferred views back to a layer_norm kept for prologue fusion.
    const views: ((x: View) => View)[] = [];
    let cur = v;
    for (;;) {
      const d = this.#deferred.get(cur);
      if (!d) break;
      if (!d.keepsRows) return undefined;
      views.unshift(d.transform);
      cur = d.source;
    }
    const ln = this.#layerNorms.get(cur);
    if (!ln) return undefined;
    const x = this.locOf(ln.inputs[0]!);
    return {
      node: ln,
      gammaValue: ln.inputs[1]!,
      betaValue: ln.inputs[2],
      x: { buffer: x.buffer, view: views.reduce((acc, f) => f(acc), x.view) },
      gamma: this.locOf(ln.inputs[1]!),
      beta: ln.inputs[2] ? this.locOf(ln.inputs[2]) : undefined,
      epsilon: (ln.attrs as { epsilon: number }).epsilon,
    };
  }

  contiguous(loc: Loc): Loc {
    const shape = [...viewShape(loc.view)];
    return { buffer: this.#copy(loc, shape, { kind: 'temp', dtype: loc.buffer.dtype, elements: count(shape) }), view: contiguousView(shape) };
  }

  /** Emits a copy kernel from `loc` into a new buffer laid out contiguously. */
  #copy(loc: Loc, shape: readonly number[], buffer: Omit<PlanBuffer, 'id'>): PlanBuffer {
    const output = this.#buffer(buffer);
    this.#tasks.push({
      name: `copy_${this.#tasks.length}`,
      nodes: [],
      workload: { kind: 'elementwise', shape, operands: [{ view: loc.view, dtype: loc.buffer.dtype }], expr: { op: 'input', index: 0 }, output: { view: contiguousView(shape) } },
      operands: [loc.buffer],
      output,
    });
    return output;
  }

  scratch(elements: number): Loc {
    const buffer = this.#buffer({ kind: 'temp', dtype: 'f32', elements: Math.max(1, elements) });
    return { buffer, view: contiguousView([Math.max(1, elements)]) };
  }

  // ---- node visitors ------------------------------------------------------------------------

  #visit(n: Node): void {
    for (const o of n.outputs) this.#static(o);
    if (isOp(n, Const)) {
      this.#constants.set(n.outputs[0]!, n.attrs.value);
      return;
    }
    const transform = viewTransform(n, (i) => this.#constants.get(n.inputs[i]!));
    if (transform) return this.#visitView(n, transform);
    if (isOp(n, LayerNorm) && this.#prologueCandidate(n)) {
      this.#layerNorms.set(n.outputs[0]!, n);
      return;
    }
    const leaf = (i: number): EExpr => ({ op: 'input', index: i });
    if (pointwiseExpr(n, leaf)) return this.#visitPointwise(n);
    const seed = anchorSeed(n, this);
    if (!seed) throw new VitcError(`op '${n.op.name}' has no WebGPU lowering yet`);
    this.#startGroup(seed, n);
  }

  #visitView(n: Node, transform: (v: View) => View[]): void {
    const x = n.inputs[0]!;
    const step = bijectiveStep(n);
    const p = this.#pending.get(x);
    if (p && step && n.outputs.length === 1) {
      this.#pending.set(n.outputs[0]!, { group: p.group, chain: [...p.chain, ...step], exclusive: p.exclusive && this.#singleUse(x) });
      return;
    }
    if (n.outputs.length === 1 && (this.#deferredOrLayerNorm(x) || p)) {
      const keepsRows = this.#keepsRows(n);
      this.#deferred.set(n.outputs[0]!, { source: x, transform: (v) => transform(v)[0]!, keepsRows });
      return;
    }
    // Constants seen through views stay constants (gathers of index tables, reshaped biases).
    const c = this.#constants.get(x);
    if (c && n.outputs.length === 1 && c.size <= 1 << 20) {
      this.#deferred.set(n.outputs[0]!, { source: x, transform: (v) => transform(v)[0]!, keepsRows: false });
      return;
    }
    const src = this.locOf(x);
    const views = transform(src.view);
    n.outputs.forEach((o, i) => this.#locs.set(o, { buffer: src.buffer, view: views[i]! }));
  }

  #deferredOrLayerNorm(v: Value): boolean {
    return this.#deferred.has(v) || this.#layerNorms.has(v);
  }

  /** A view node keeps rows when the last axis passes through unchanged. */
  #keepsRows(n: Node): boolean {
    const inShape = n.inputs[0]!.type.shape as number[];
    const outShape = n.outputs[0]!.type.shape as number[];
    const step = bijectiveStep(n);
    if (step) return step.every((s) => (s.kind === 'transpose' ? s.perm[s.perm.length - 1] === s.perm.length - 1 : s.to[s.to.length - 1] === inShape[inShape.length - 1]));
    // Gathers/slices of other axes keep rows; anything touching the last axis does not.
    return inShape[inShape.length - 1] === outShape[outShape.length - 1] && outShape.length >= 1 && n.op.name !== 'expand';
  }

  /** A layer_norm over the last axis whose every use is (through row-keeping views) a matmul's A operand. */
  #prologueCandidate(n: Node): boolean {
    const rank = n.inputs[0]!.type.shape.length;
    const axis = ((n.attrs as { axis: number }).axis + rank) % rank;
    if (axis !== rank - 1 || n.inputs[1]!.type.shape.length !== 1) return false;
    if (n.inputs[2] && n.inputs[2].type.shape.length !== 1) return false;
    const ok = (v: Value, depth: number): boolean => {
      if (this.#g.isOutput(v) || depth > 8) return false;
      const users = this.#g.users(v);
      return (
        users.length > 0 &&
        users.every((u) => {
          if (u.op.name === 'matmul') return u.inputs[0] === v && u.inputs[1] !== v && u.inputs[1]!.type.shape.length === 2;
          if (viewTransform(u, (i) => this.#constants.get(u.inputs[i]!)) && u.outputs.length === 1 && this.#keepsRows(u)) return ok(u.outputs[0]!, depth + 1);
          return false;
        })
      );
    };
    return ok(n.outputs[0]!, 0);
  }

  #visitPointwise(n: Node): void {
    const out = n.outputs[0]!;
    const shape = out.type.shape as number[];
    // Join the most recent open group among the operands whose value can take this node as epilogue.
    let best: { group: Group; chain: Chain; input: Value } | undefined;
    for (const x of n.inputs) {
      const p = this.#pending.get(x);
      if (!p || !p.group.open || !p.group.seed.fusesEpilogue || !p.exclusive || !this.#singleUse(x)) continue;
      if (!sameShape(x.type.shape as number[], shape)) continue;
      if (!best || p.group.order > best.group.order) best = { group: p.group, chain: p.chain, input: x };
    }
    if (!best) {
      this.#startGroup(pointwiseSeed(n, this), n);
      return;
    }
    const G = best.group;
    const full = [...G.chain, ...best.chain];
    const acc = G.epilogue;
    const expr = pointwiseExpr(n, (i) => {
      const x = n.inputs[i]!;
      if (x === best!.input) return acc;
      const loc = this.locOf(x);
      const view = applyInverse(full, expand(channelwise(n, i, loc.view, shape), shape));
      return { op: 'input', index: G.seed.operands.length + this.#addExtra(G, { buffer: loc.buffer, view }) };
    })!;
    if (!G.open) {
      // Reading another operand materialised this very group (a diamond): start afresh.
      this.#startGroup(pointwiseSeed(n, this), n);
      return;
    }
    G.epilogue = expr;
    G.chain = full;
    G.value = out;
    G.nodes.push(n);
    this.#pending.set(out, { group: G, chain: [], exclusive: true });
  }

  #addExtra(G: Group, loc: Loc): number {
    const same = G.extra.findIndex((e) => e.buffer === loc.buffer && JSON.stringify(e.view) === JSON.stringify(loc.view));
    if (same >= 0) return same;
    G.extra.push(loc);
    return G.extra.length - 1;
  }

  #startGroup(seed: Seed, n: Node): void {
    const G: Group = { seed, order: this.#groups.length, nodes: [n], epilogue: seed.epilogue, extra: [], chain: seed.chain, value: n.outputs[0]!, open: true };
    this.#groups.push(G);
    this.#pending.set(G.value, { group: G, chain: [], exclusive: true });
    if (seed.extraResults) this.#materialize(G);
  }

  // ---- materialisation ----------------------------------------------------------------------

  /** Emits the group's kernel; returns where its current value lives. */
  #materialize(G: Group): Loc {
    if (!G.open) return this.#locs.get(G.value)!;
    G.open = false;
    const shape = G.value.type.shape as number[];
    const extra = G.seed.extraResults ?? [];
    // Several results share one temporary; graph outputs among them are copied out.
    const isOut = this.#g.isOutput(G.value) && extra.length === 0;
    // Store straight into the layout of a transpose/reshape chain that is the value's only use.
    const layout = isOut || extra.length ? undefined : this.#storeLayout(G.value);
    const finalShape = layout ? chainTarget(layout, shape) : shape;
    const elements = [finalShape, ...extra].reduce((n, s) => n + count(s), 0);
    const buffer = this.#buffer({ kind: isOut ? 'output' : 'temp', dtype: 'f32', elements, ...(isOut ? { name: G.value.name! } : {}) });
    const valueView = layout ? applyInverse(layout, contiguousView(finalShape)) : contiguousView(shape);
    const outputView = applyInverse(G.chain, valueView);
    const all = [...G.seed.operands, ...G.extra];
    const operands: Operand[] = all.map((l) => ({ view: l.view, dtype: l.buffer.dtype }));
    const workload = G.seed.make(G.epilogue, operands, outputView);
    this.#tasks.push({ name: `${G.seed.label}_${this.#tasks.length}`, nodes: G.nodes, workload, operands: all.map((l) => l.buffer), output: buffer });
    const loc = { buffer, view: valueView };
    this.#locs.set(G.value, loc);
    packedViews([shape, ...extra]).slice(1).forEach((view, i) => this.#locs.set(G.seed.node.outputs[i + 1]!, { buffer, view }));
    return loc;
  }

  /** The chain of single-use transposes/reshapes that is `v`'s only consumer, if any. */
  #storeLayout(v: Value): Chain | undefined {
    const chain: Chain[number][] = [];
    let cur = v;
    for (;;) {
      if (!this.#singleUse(cur)) break;
      const u = this.#g.users(cur)[0]!;
      const step = bijectiveStep(u);
      if (!step || u.outputs.length !== 1) break;
      chain.push(...step);
      cur = u.outputs[0]!;
    }
    return chain.some((s) => s.kind === 'transpose') ? chain : undefined;
  }

  #placeOutput(v: Value): PlanIO {
    const shape = v.type.shape as number[];
    const loc = this.locOf(v);
    if (loc.buffer.kind === 'output' && loc.buffer.name === v.name && isContiguous(loc.view)) return { name: v.name!, shape, buffer: loc.buffer };
    // An output that is an input, a weight, a view, or shared with another output: copy it.
    const buffer = this.#copy(loc, shape, { kind: 'output', dtype: 'f32', elements: count(shape), name: v.name! });
    return { name: v.name!, shape, buffer };
  }

  // ---- helpers ----------------------------------------------------------------------------------

  #singleUse(v: Value): boolean {
    return this.#g.users(v).length === 1 && !this.#g.isOutput(v);
  }

  #buffer(b: Omit<PlanBuffer, 'id'>): PlanBuffer {
    const buf = { ...b, id: this.#buffers.length };
    this.#buffers.push(buf);
    return buf;
  }

  #dtype(v: Value): 'f32' | 'i32' {
    if (v.type.dtype === 'f32') return 'f32';
    throw new VitcError(`graph input '${v.name}' is ${v.type.dtype}; the WebGPU target takes f32 inputs`);
  }

  #static(v: Value): number[] {
    if (!allStatic(v.type.shape)) throw new VitcError(`value ${v.name ?? `%${v.id}`} has symbolic shape ${shapeToString(v.type.shape)}; compile with a fixed batch`);
    return v.type.shape as number[];
  }
}

function count(shape: readonly number[]): number {
  return Math.max(1, shape.reduce((a, b) => a * b, 1));
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
