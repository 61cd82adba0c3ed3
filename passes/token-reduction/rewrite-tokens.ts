import type { AttrSchema, AttrsOf } from '../../ir/attrs.js';
import { GraphBuilder } from '../../ir/builder.js';
import { type Dim, dimDiv, dimMul } from '../../ir/dim.js';
import { VitcError } from '../../ir/errors.js';
import { type Graph, isOp, type Node, nodeWhere, type Value } from '../../ir/graph.js';
import { Attention } from '../../ir/ops/attention.js';
import { Add } from '../../ir/ops/elementwise.js';
import { Expand, Reshape } from '../../ir/ops/reshape.js';
import { typesEqual } from '../../ir/types.js';
import { removeDeadNodes } from '../rewrite.js';
import { constantTable, type VitBlock, type VitStructure } from './blocks.js';
import { factorThrough, type FactorLoc, type FactorOutcome } from './factor.js';
import { sizeBias } from './layout.js';
import type { ReducedTokens, Tokens } from './merge.js';

/** What a block's reduction sees where it runs (right after the block's attention residual). */
export interface ReductionSite {
  readonly b: GraphBuilder;
  readonly block: VitBlock;
  /** The residual stream [B, T, C] at x_mid and the token sizes so far. */
  readonly tokens: Tokens;
  /** The block's attention keys, as the attention reads them. */
  readonly keys: Value;
  /** The attention's class-token probabilities and value norms, when asked for. */
  readonly clsStats: { readonly probs: Value; readonly vnorm: Value } | undefined;
}

export interface BlockReduction {
  /** Emit the block's attention with `cls_stats` (PPT's importance score reads them). */
  readonly clsStats: boolean;
  reduce(site: ReductionSite): ReducedTokens;
}

/** A value whose token count differs from the original graph's. */
interface TokenState {
  readonly loc: FactorLoc;
  /** Tokens here in the original graph, and now. */
  readonly original: number;
  readonly count: number;
  /** Token sizes [B, count, 1] for proportional attention; undefined while all are 1. */
  readonly size: Value | undefined;
}

/**
 * Rebuilds the graph with token reduction at the given blocks. Nodes that do not see a changed
 * token count are copied; the others are rebuilt with their token axis resized, which means
 * rewriting reshape and expand targets (they carry T literally): the token axis is followed
 * through every node by its element stride (factor.ts), so merged layouts such as [T·B, C] or
 * [B·H, T, d] are resized correctly. Every attention that reads reduced keys gets log(size)
 * added to its bias (proportional attention). A node the tokens cannot be followed through is
 * a clear error naming it.
 */
export function reduceTokens(g: Graph, structure: VitStructure, reductions: ReadonlyMap<VitBlock, BlockReduction>): Graph {
  return new TokenRewriter(g, structure, reductions).run();
}

class TokenRewriter {
  readonly #b: GraphBuilder;
  readonly #mapped = new Map<Value, Value>();
  readonly #states = new Map<Value, TokenState>();
  readonly #constants;
  readonly #blockOfAttention: Map<Node, VitBlock>;
  readonly #blockAtMid: Map<Value, VitBlock>;
  readonly #clsStats = new Map<VitBlock, { probs: Value; vnorm: Value }>();
  /** log(size) biases per size tensor and attention layout. */
  readonly #biases = new Map<Value, Map<string, Value>>();

  constructor(
    readonly g: Graph,
    readonly structure: VitStructure,
    readonly reductions: ReadonlyMap<VitBlock, BlockReduction>,
  ) {
    this.#b = GraphBuilder.derive(g);
    this.#constants = constantTable(g);
    this.#blockOfAttention = new Map(structure.blocks.map((bl) => [bl.attention, bl]));
    this.#blockAtMid = new Map([...reductions.keys()].map((bl) => [bl.xMid, bl]));
  }

  run(): Graph {
    for (const n of this.g.nodes) {
      try {
        this.#visit(n);
      } catch (e) {
        if (e instanceof VitcError) throw e.withLoc(nodeWhere(n));
        throw e;
      }
      for (const o of n.outputs) {
        const block = this.#blockAtMid.get(o);
        if (block) this.#reduceAt(block, o);
      }
    }
    this.#b.setOutputs(this.g.outputs.map((v) => this.#value(v)));
    return removeDeadNodes(this.#b.build());
  }

  #value(v: Value): Value {
    return this.#mapped.get(v) ?? v;
  }

  #visit(n: Node): void {
    const ins = n.inputs.map((v) => this.#value(v));
    const states = n.inputs.map((v) => this.#states.get(v));
    if (isOp(n, Attention)) return this.#visitAttention(n, ins, states);
    if (states.every((s) => s === undefined)) return this.#b.copyNode(n, ins);
    const state = commonState(states);
    const locs = this.#follow(n, states, state);
    const attrs = retarget(n, locs, state);
    this.#emit(n, ins, attrs, locs, state);
  }

  #follow(n: Node, states: readonly (TokenState | undefined)[], state: TokenState): FactorOutcome {
    try {
      return factorThrough(n, states.map((s) => s?.loc), state.original, (i) => this.#constants.get(n.inputs[i]!));
    } catch (e) {
      if (!(e instanceof VitcError)) throw e;
      throw new VitcError(`token reduction cannot follow the token axis through '${n.op.name}': ${e.bareMessage}`);
    }
  }

  #emit(n: Node, ins: readonly Value[], attrs: AttrsOf<AttrSchema>, locs: FactorOutcome, state: TokenState | undefined): Value[] {
    let outs: Value[];
    try {
      outs = this.#b.add(n.op, ins, attrs, { name: n.name, loc: n.loc, outNames: n.outputs.map((o) => o.name) });
    } catch (e) {
      if (!(e instanceof VitcError)) throw e;
      const counts = state ? ` (${state.count} tokens instead of ${state.original})` : '';
      throw new VitcError(`'${n.op.name}' does not accept the reduced token count${counts}: ${e.bareMessage}`);
    }
    n.outputs.forEach((o, i) => {
      const out = outs[i]!;
      this.#mapped.set(o, out);
      const loc = locs[i];
      if (loc && state) this.#states.set(o, { ...state, loc });
      else if (!typesEqual(o.type, out.type)) throw new VitcError(`'${n.op.name}' mixes the token axis into its result in a way token reduction cannot follow`);
    });
    return outs;
  }

  #visitAttention(n: Node & { attrs: { scale: number; cls_stats: boolean } }, ins: Value[], states: readonly (TokenState | undefined)[]): void {
    const block = this.#blockOfAttention.get(n);
    const wantStats = n.attrs.cls_stats || (block !== undefined && this.reductions.get(block)?.clsStats === true);
    const keys = states[1];
    if (states.every((s) => s === undefined) && !wantStats) return this.#b.copyNode(n, ins);
    if (!block) throw new VitcError(`token reduction reached an attention that is not part of a recognised transformer block`);
    const operands = ins.slice(0, 3);
    let bias = ins[3];
    if (keys?.size) {
      const extra = this.#sizeBias(keys.size, block);
      if (bias) {
        try {
          bias = this.#b.add1(Add, [bias, extra], {});
        } catch (e) {
          if (!(e instanceof VitcError)) throw e;
          throw new VitcError(`the attention of block ${block.index} has a bias over its tokens (a position bias or mask) that token reduction cannot resize`);
        }
      } else bias = extra;
    }
    if (bias) operands.push(bias);
    const state = states.some((s) => s) ? commonState(states) : undefined;
    const locs = state ? this.#follow(n, states, state) : n.outputs.map(() => undefined);
    const outs = this.#emit(n, operands, { scale: n.attrs.scale, cls_stats: wantStats }, locs, state);
    if (wantStats) this.#clsStats.set(block, { probs: outs[1]!, vnorm: outs[2]! });
  }

  /** log(size) laid out for one attention layout, built once per size tensor and layout. */
  #sizeBias(size: Value, block: VitBlock): Value {
    const key = JSON.stringify(block.layout);
    let perLayout = this.#biases.get(size);
    if (!perLayout) this.#biases.set(size, (perLayout = new Map()));
    let bias = perLayout.get(key);
    if (!bias) perLayout.set(key, (bias = sizeBias(this.#b, size, block.layout)));
    return bias;
  }

  #reduceAt(block: VitBlock, xMid: Value): void {
    const state = this.#states.get(xMid);
    const site: ReductionSite = {
      b: this.#b,
      block,
      tokens: { x: this.#value(xMid), size: state?.size },
      keys: this.#value(block.attention.inputs[1]!),
      clsStats: this.#clsStats.get(block),
    };
    const out = this.reductions.get(block)!.reduce(site);
    this.#mapped.set(xMid, out.x);
    this.#states.set(xMid, { loc: { axis: 1, inner: 1 }, original: state?.original ?? block.tokens, count: out.x.type.shape[1] as number, size: out.size });
  }
}

/** Every operand with a changed token count must come from the same reduction. */
function commonState(states: readonly (TokenState | undefined)[]): TokenState {
  const live = states.filter((s): s is TokenState => s !== undefined);
  const first = live[0]!;
  if (live.some((s) => s.count !== first.count || s.size !== first.size || s.original !== first.original))
    throw new VitcError(`operands hold different token counts (${live.map((s) => s.count).join(' vs ')}): token reduction cannot combine them`);
  return first;
}

/** The node's attributes with token counts in reshape/expand targets rescaled to the new count. */
function retarget(n: Node, locs: FactorOutcome, s: TokenState): AttrsOf<AttrSchema> {
  const rescale = (d: Dim): Dim => dimMul(dimDiv(d, s.original), s.count);
  const at = locs[0];
  if (at && isOp(n, Reshape)) return { ...n.attrs, shape: n.attrs.shape.map((d, a) => (a === at.axis ? rescale(d) : d)) };
  if (at && isOp(n, Expand)) {
    const lead = n.outputs[0]!.type.shape.length - n.attrs.shape.length;
    return { ...n.attrs, shape: n.attrs.shape.map((d, a) => (a + lead === at.axis && d !== 1 ? rescale(d) : d)) };
  }
  return n.attrs;
}
