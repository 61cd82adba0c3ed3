import type { Graph, Node, Value } from '../../ir/graph.js';
import { isOp } from '../../ir/graph.js';
import { Concat } from '../../ir/ops/concat.js';
import { Conv } from '../../ir/ops/conv.js';
import { Add, Div, Mul, Relu } from '../../ir/ops/elementwise.js';
import { MatMul } from '../../ir/ops/matmul.js';
import { Softmax } from '../../ir/ops/softmax.js';
import type { Tensor } from '../../ir/tensor.js';
import { broadcastOffsets } from '../../runtime/reference/kernels/broadcast.js';
import { numbersOf } from '../../runtime/reference/kernels/storage.js';
import { type LayoutTrace, traceLayout, unravel } from './trace-layout.js';

/**
 * Recognises EfficientViT's cascaded group attention ending in its output projection:
 *
 *   proj(act(concat_j Y_j)),  Y_j = v_j · softmax(scale·(dw(q_j)ᵀ k_j) + bias_j)ᵀ,
 *   q_j, k_j, v_j = channel slices of conv1x1_j(X_j + Y_{j-1}),  X_j = channel slice j of X
 *
 * Every layout step in between (splits, flattens, transposes, the reshape back to [B, d, H, W])
 * is checked element by element with traceLayout, so any spelling of the same computation
 * matches and nothing else does. Returns the parameters of one `cascaded_attention` op.
 */
export interface CascadedMatch {
  readonly x: Value;
  readonly heads: number;
  readonly keyDim: number;
  readonly kernels: readonly number[];
  readonly scale: number;
  readonly activation: 'relu' | 'none';
  /** [heads, 2·keyDim + d, d], rows q, k, v. */
  readonly wQkv: Float64Array;
  readonly bQkv: Float64Array;
  /** [heads, keyDim, K, K] with K the largest kernel, smaller kernels centred. */
  readonly wDw: Float64Array;
  readonly kernelSide: number;
  readonly bDw: Float64Array;
  /** [heads, N, N] */
  readonly bias: Float64Array;
  /** [outChannels, channels] */
  readonly wProj: Float64Array;
  readonly bProj: Float64Array;
  readonly outChannels: number;
  readonly tokens: number;
}

export type CascadedResult = { readonly ok: true; readonly match: CascadedMatch } | { readonly ok: false; readonly reason: string };

type ConstantOf = (v: Value) => Tensor | undefined;

class NoMatch extends Error {}
function need(cond: boolean, reason: string): asserts cond {
  if (!cond) throw new NoMatch(reason);
}

const shapeOf = (v: Value): number[] => v.type.shape as number[];
const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** A 1x1, stride-1, unpadded, ungrouped conv with a constant [O, I, 1, 1] weight. */
export function isPointwiseConv(n: Node | undefined, constantOf: ConstantOf): n is Node {
  if (!n || !isOp(n, Conv) || n.attrs.group !== 1) return false;
  const w = constantOf(n.inputs[1]!);
  return (
    w !== undefined &&
    w.rank === 4 &&
    w.shape[2] === 1 &&
    w.shape[3] === 1 &&
    n.attrs.strides.every((s) => s === 1) &&
    n.attrs.pads.every((p) => p === 0) &&
    (n.inputs[2] === undefined || constantOf(n.inputs[2]) !== undefined)
  );
}

/** Whether `proj` could end a cascaded group attention (a 1x1 conv of [ReLU of] a channel concat). */
export function cascadedCandidate(g: Graph, proj: Node, constantOf: ConstantOf): boolean {
  if (!isPointwiseConv(proj, constantOf)) return false;
  let p = g.producer(proj.inputs[0]!);
  if (p && isOp(p, Relu)) p = g.producer(p.inputs[0]!);
  return p !== undefined && isOp(p, Concat) && p.inputs.length >= 1 && shapeOf(proj.inputs[0]!).length === 4;
}

export function matchCascaded(g: Graph, proj: Node, constantOf: ConstantOf): CascadedResult {
  try {
    return { ok: true, match: new CascadedMatcher(g, constantOf).match(proj) };
  } catch (e) {
    if (e instanceof NoMatch) return { ok: false, reason: e.message };
    throw e;
  }
}

/** One operand of a checked contraction (see CascadedMatcher.#contraction). */
interface Side {
  readonly side: 'a' | 'b';
  readonly probe: (element: number) => number;
  readonly expect: (b: number, index: number, k: number, base: number) => number;
}

interface ScaledTrace {
  readonly trace: LayoutTrace;
  readonly factor: number;
}

interface HeadParts {
  readonly av: Node;
  readonly yTrace: LayoutTrace;
  readonly qkv: Node;
  readonly input: Value;
  readonly channelBase: { q: number; k: number; v: number };
  readonly dw: Node;
  readonly scale: number;
  readonly bias: Float64Array;
}

class CascadedMatcher {
  constructor(
    readonly g: Graph,
    readonly constantOf: ConstantOf,
  ) {}

  #trace(v: Value, stop?: (v: Value) => boolean): LayoutTrace {
    return traceLayout(this.g, v, this.constantOf, stop);
  }

  match(proj: Node): CascadedMatch {
    const { g, constantOf } = this;
    let activation: 'relu' | 'none' = 'none';
    let catValue = proj.inputs[0]!;
    const relu = g.producer(catValue);
    if (relu && isOp(relu, Relu)) {
      activation = 'relu';
      catValue = relu.inputs[0]!;
    }
    const cat = g.producer(catValue)!;
    const ys = cat.inputs;
    const h = ys.length;
    const [bw, c, hh, ww] = shapeOf(catValue) as [number, number, number, number];
    need(((cat.attrs as { axis: number }).axis + 4) % 4 === 1, 'the heads are not concatenated along channels');
    need(ys.every((y) => shapeOf(y).length === 4 && shapeOf(y)[1] === c / h), 'the concatenated heads differ in width');
    const d = c / h;
    const n = hh * ww;

    const heads: HeadParts[] = [];
    let x: Value | undefined;
    let keyDim = 0;
    for (let j = 0; j < h; j++) {
      const head = this.#head(ys[j]!, [bw, d, hh, ww], j);
      const kd = shapeOf(head.dw.outputs[0]!)[1]!;
      if (j === 0) keyDim = kd;
      need(kd === keyDim, `head ${j} has key width ${kd}, head 0 ${keyDim}`);
      // The head's input: X's channel slice j, plus head j-1's output for j > 0.
      const sliceOf = (v: Value, stopAt?: Value): boolean => {
        const t = this.#trace(v, stopAt ? (u) => u === stopAt : (u) => sameShape(shapeOf(u), [bw, c, hh, ww]));
        if (!sameShape(shapeOf(t.source), [bw, c, hh, ww])) return false;
        if (x !== undefined && t.source !== x) return false;
        const ok = everyIndex([bw, d, n], ([b, ch, t2]) => t.map[(b! * d + ch!) * n + t2!] === (b! * c + j * d + ch!) * n + t2! + 1);
        if (ok) x = t.source;
        return ok;
      };
      if (j === 0) need(sliceOf(head.input), 'head 0 does not read channel slice 0 of one [B, C, H, W] input');
      else {
        const t = this.#trace(head.input);
        const add = g.producer(t.source);
        need(add !== undefined && isOp(add, Add) && isIdentity(t.map), `head ${j}'s input is not its channel slice plus head ${j - 1}'s output`);
        const [u, w] = add.inputs as [Value, Value];
        const prev = heads[j - 1]!;
        const isPrev = (v: Value) => {
          const tv = this.#trace(v);
          return tv.source === prev.av.outputs[0] && sameMap(tv.map, prev.yTrace.map);
        };
        need((isPrev(u) && sliceOf(w, x)) || (isPrev(w) && sliceOf(u, x)), `head ${j}'s input is not channel slice ${j} plus head ${j - 1}'s output`);
      }
      heads.push(head);
    }
    return this.#assemble(proj, x!, heads, activation, { bw, c, d, n, keyDim });
  }

  /** One head: Y (as [B, d, H, W]) back to its value matmul, softmax, scores, depthwise q and qkv conv. */
  #head(y: Value, shape: readonly [number, number, number, number], j: number): HeadParts {
    const { g, constantOf } = this;
    const [bw, d, hh, ww] = shape;
    const n = hh * ww;
    const yTrace = this.#trace(y);
    const av = g.producer(yTrace.source);
    need(av !== undefined && isOp(av, MatMul), `head ${j}'s output is not a matrix product`);
    const [ta, tb] = av.inputs.map((v) => this.#trace(v)) as [LayoutTrace, LayoutTrace];
    const smA = g.producer(ta.source);
    const smB = g.producer(tb.source);
    const sIsA = smA !== undefined && isOp(smA, Softmax);
    const sm = sIsA ? smA : smB;
    need(sm !== undefined && isOp(sm, Softmax), `head ${j}: no softmax feeds its value product`);
    const sShape = shapeOf(sm.outputs[0]!);
    need(((sm.attrs.axis + sShape.length) % sShape.length) === sShape.length - 1 && numel(sShape) === bw * n * n && sShape.at(-1) === n, `head ${j}: the softmax is not over the keys of [B, N, N] scores`);
    const vTrace = sIsA ? tb : ta;
    const qkv = g.producer(vTrace.source);
    need(isPointwiseConv(qkv, constantOf), `head ${j}: the values do not come from a 1x1 convolution`);
    const o = shapeOf(qkv.outputs[0]!)[1]!;
    // Y[b, c, t] = Σ_m V[b, c, m] · S[b, t, m],  V = qkv[b, v0 + c, m]
    const channelOf = (e: number) => Math.floor(e / n) % o;
    const [v0] = this.#contraction(
      av,
      yTrace,
      [bw, d, n],
      n,
      { side: sIsA ? 'b' : 'a', probe: channelOf, expect: (b, ch, m, base) => (b * o + base + ch) * n + m },
      { side: sIsA ? 'a' : 'b', probe: () => 0, expect: (b, t, m) => (b * n + t) * n + m },
      `head ${j}: the value product`,
    );

    // Scores: scale·(q·k) + bias, back from the softmax input. The scale may also sit on an
    // operand (timm scales q before the product).
    const { scores, scale: scoreScale, bias } = this.#scoreChain(sm.inputs[0]!, bw, n, j);
    const sc = scores;
    const [sq, sk] = sc.inputs.map((v) => this.#scaledTrace(v)) as [ScaledTrace, ScaledTrace];
    const [tq, tk] = [sq.trace, sk.trace];
    const scale = scoreScale * sq.factor * sk.factor;
    const dwA = g.producer(tq.source);
    const qIsA = dwA !== undefined && isOp(dwA, Conv) && dwA.attrs.group > 1;
    const dw = qIsA ? dwA : g.producer(tk.source);
    need(dw !== undefined && isOp(dw, Conv) && dw.attrs.group > 1, `head ${j}: the queries are not filtered by a depthwise convolution`);
    const kd = shapeOf(dw.outputs[0]!)[1]!;
    const kTrace = qIsA ? tk : tq;
    need(kTrace.source === qkv.outputs[0], `head ${j}: keys and values come from different convolutions`);
    need(sameShape(shapeOf(sc.outputs[0]!).slice(-2), [n, n]), `head ${j}: the scores are not [N, N]`);
    // Z[b, t, m] = Σ_k Q[b, k, t] · K[b, k, m],  Q = the filtered queries, K = qkv[b, k0 + k, m]
    need(sameShape(shapeOf(sc.outputs[0]!), shapeOf(sm.inputs[0]!)), `head ${j}: the scores change shape before the softmax`);
    const scoreTrace: LayoutTrace = { source: sc.outputs[0]!, map: Int32Array.from({ length: bw * n * n }, (_, i) => i + 1) };
    const [, k0] = this.#contraction(
      sc,
      scoreTrace,
      [bw, n, n],
      kd,
      { side: qIsA ? 'a' : 'b', probe: () => 0, expect: (b, t, k) => (b * kd + k) * n + t },
      { side: qIsA ? 'b' : 'a', probe: channelOf, expect: (b, m, k, base) => (b * o + base + k) * n + m },
      `head ${j}: the score product`,
      [tq, tk],
    );

    // The depthwise filter: 'same' padding, stride 1, on the q channels of the same conv.
    const w = constantOf(dw.inputs[1]!);
    const k = w?.shape[2] ?? 0;
    need(
      w !== undefined && w.rank === 4 && w.shape[0] === kd && w.shape[1] === 1 && w.shape[3] === k && k % 2 === 1 && dw.attrs.group === kd &&
        dw.attrs.strides.every((s) => s === 1) && dw.attrs.dilations.every((s) => s === 1) && dw.attrs.pads.every((p) => p === k >> 1) &&
        (dw.inputs[2] === undefined || constantOf(dw.inputs[2]) !== undefined),
      `head ${j}: the query filter is not a 'same' odd-sized depthwise convolution with constant weights`,
    );
    const tPre = this.#trace(dw.inputs[0]!);
    need(tPre.source === qkv.outputs[0], `head ${j}: the queries come from another convolution than keys and values`);
    const q0 = Math.floor((tPre.map[0]! - 1) / n) % o;
    need(everyIndex([bw, kd, n], ([b, ch, t]) => tPre.map[(b! * kd + ch!) * n + t!] === (b! * o + q0 + ch!) * n + t! + 1), `head ${j}: the queries are not a channel slice of the projection`);
    const ranges = [[q0, kd], [k0, kd], [v0, d]].sort((a, b) => a[0]! - b[0]!);
    need(o === 2 * kd + d && ranges.every(([s, len], i) => s === (i === 0 ? 0 : ranges[i - 1]![0]! + ranges[i - 1]![1]!) && s! + len! <= o), `head ${j}: q, k and v do not partition the projection's ${o} channels`);
    return { av, yTrace, qkv, input: qkv.inputs[0]!, channelBase: { q: q0, k: k0, v: v0 }, dw, scale, bias };
  }

  /**
   * Checks that matmul `mm` computes out[b, p, q] = Σ_k L[b, p, k] · R[b, q, k], where
   * `outTrace` places the logical output [B, P, Q] in mm's result and each side says which
   * operand it is and where its elements must come from in that operand's source (`expect`,
   * given a base channel that `probe` reads off the first element). Returns both bases.
   * `operands` replaces the plain layout traces of mm's inputs (when scalings were peeled off).
   */
  #contraction(
    mm: Node,
    outTrace: LayoutTrace,
    logical: readonly [number, number, number],
    contraction: number,
    left: Side,
    right: Side,
    what: string,
    operands?: readonly [LayoutTrace, LayoutTrace],
  ): [number, number] {
    const [ta, tb] = operands ?? (mm.inputs.map((v) => this.#trace(v)) as [LayoutTrace, LayoutTrace]);
    const outShape = shapeOf(mm.outputs[0]!);
    const aShape = shapeOf(mm.inputs[0]!);
    const bShape = shapeOf(mm.inputs[1]!);
    const r = outShape.length;
    need(
      r >= 2 && aShape.length === r && bShape.length === r && sameShape(aShape.slice(0, -2), outShape.slice(0, -2)) && sameShape(bShape.slice(0, -2), outShape.slice(0, -2)),
      `${what} broadcasts or has mixed ranks`,
    );
    const [rows, kk] = aShape.slice(-2) as [number, number];
    const cols = bShape.at(-1)!;
    need(kk === contraction, `${what} contracts ${kk} elements, expected ${contraction}`);
    const [, p, q] = logical;
    let baseL = -1;
    let baseR = -1;
    const ok = everyIndex(logical, ([b, pi, qi]) => {
      const e = outTrace.map[(b! * p + pi!) * q + qi!]! - 1;
      if (e < 0) return false;
      const at = unravel(e, outShape);
      const lead = at.slice(0, -2).reduce((acc, x, i) => acc * outShape[i]! + x, 0);
      const [row, col] = at.slice(-2) as [number, number];
      for (let k = 0; k < kk; k++) {
        const ea = ta.map[(lead * rows + row) * kk + k]! - 1;
        const eb = tb.map[(lead * kk + k) * cols + col]! - 1;
        const el = left.side === 'a' ? ea : eb;
        const er = right.side === 'a' ? ea : eb;
        if (el < 0 || er < 0) return false;
        if (baseL < 0) baseL = left.probe(el);
        if (baseR < 0) baseR = right.probe(er);
        if (el !== left.expect(b!, pi!, k, baseL) || er !== right.expect(b!, qi!, k, baseR)) return false;
      }
      return true;
    });
    need(ok && left.side !== right.side, `${what} is not the expected contraction`);
    return [baseL, baseR];
  }

  /**
   * Traces `v` back through layout ops and scalar scalings (x·c, c·x, x/c with a one-element
   * constant c), composing the element maps; returns the trace and the product of the scalings.
   */
  #scaledTrace(v: Value): ScaledTrace {
    const { g, constantOf } = this;
    let trace = this.#trace(v);
    let factor = 1;
    for (let guard = 0; guard < 8; guard++) {
      const p = g.producer(trace.source);
      if (!p || !(isOp(p, Mul) || isOp(p, Div))) break;
      const [a, b] = p.inputs as [Value, Value];
      const ca = constantOf(a);
      const cb = constantOf(b);
      const byB = cb !== undefined && cb.size === 1 && ca === undefined;
      const byA = isOp(p, Mul) && ca !== undefined && ca.size === 1 && cb === undefined;
      const input = byB ? a : byA ? b : undefined;
      // A one-element constant of higher rank would broadcast the result to a new shape.
      if (input === undefined || !sameShape(shapeOf(input), shapeOf(p.outputs[0]!))) break;
      factor *= byB ? (isOp(p, Div) ? 1 / cb.get(0) : cb.get(0)) : ca!.get(0);
      const inner = this.#trace(input);
      const outer = trace.map;
      trace = { source: inner.source, map: outer.map((e) => (e === 0 ? 0 : inner.map[e - 1]!)) };
    }
    return { trace, factor };
  }

  /** Walks from the softmax input back to the score matmul through scalings and constant additions. */
  #scoreChain(z: Value, bw: number, n: number, j: number): { scores: Node; scale: number; bias: Float64Array } {
    const { g, constantOf } = this;
    const zShape = shapeOf(z);
    let factor = 1;
    // score = factor·(q·k) + Σ coef·t, where coef is the product of the scalings after t was added.
    const terms: { t: Tensor; coef: number }[] = [];
    let cur = z;
    for (let guard = 0; guard < 16; guard++) {
      const p = g.producer(cur);
      need(p !== undefined, `head ${j}: the scores are a graph input`);
      need(sameShape(shapeOf(p.outputs[0]!), zShape), `head ${j}: the score chain changes shape at '${p.op.name}'`);
      if (isOp(p, MatMul)) {
        const bias = new Float64Array(n * n);
        for (const { t, coef } of terms) {
          const offs = broadcastOffsets(t.shape, zShape as number[]);
          const vals = numbersOf(t);
          for (let i = 0; i < offs.length; i++) {
            const inWindow = i % (n * n);
            const v = vals[offs[i]!]! * coef;
            if (i < n * n) bias[inWindow] = bias[inWindow]! + v;
            else need(Math.abs(v - vals[offs[inWindow]!]! * coef) === 0, `head ${j}: the attention bias differs between windows`);
          }
        }
        return { scores: p, scale: factor, bias };
      }
      const [a, b] = p.inputs as [Value, Value];
      const ca = constantOf(a);
      const cb = b === undefined ? undefined : constantOf(b);
      if ((isOp(p, Mul) || isOp(p, Div)) && cb !== undefined && cb.size === 1) {
        // Walking backwards: a scaling multiplies everything before it, not the terms added after.
        factor *= isOp(p, Div) ? 1 / cb.get(0) : cb.get(0);
        cur = a;
      } else if (isOp(p, Mul) && ca !== undefined && ca.size === 1) {
        factor *= ca.get(0);
        cur = b;
      } else if (isOp(p, Add) && (ca !== undefined) !== (cb !== undefined)) {
        terms.push({ t: (ca ?? cb)!, coef: factor });
        cur = ca ? b : a;
      } else need(false, `head ${j}: '${p.op.name}' in the score chain is neither a scalar scaling nor a constant bias`);
    }
    need(false, `head ${j}: the score chain is too long`);
    throw new Error('unreachable');
  }

  #assemble(proj: Node, x: Value, heads: HeadParts[], activation: 'relu' | 'none', s: { bw: number; c: number; d: number; n: number; keyDim: number }): CascadedMatch {
    const { constantOf } = this;
    const { c, d, n, keyDim: kd } = s;
    const h = heads.length;
    const o = 2 * kd + d;
    const kernels = heads.map((hp) => shapeOf(hp.dw.inputs[1]!)[2]!);
    const side = Math.max(...kernels);
    const scale = heads[0]!.scale;
    const sameScale = heads.every((hp) => hp.scale === scale);
    const wQkv = new Float64Array(h * o * d);
    const bQkv = new Float64Array(h * o);
    const wDw = new Float64Array(h * kd * side * side);
    const bDw = new Float64Array(h * kd);
    const bias = new Float64Array(h * n * n);
    heads.forEach((hp, j) => {
      const w = numbersOf(constantOf(hp.qkv.inputs[1]!)!);
      const b = hp.qkv.inputs[2] ? numbersOf(constantOf(hp.qkv.inputs[2])!) : undefined;
      const rows = [...range(hp.channelBase.q, kd), ...range(hp.channelBase.k, kd), ...range(hp.channelBase.v, d)];
      rows.forEach((src, r) => {
        for (let ci = 0; ci < d; ci++) wQkv[(j * o + r) * d + ci] = w[src * d + ci]!;
        bQkv[j * o + r] = b ? b[src]! : 0;
      });
      // A head whose scale differs from head 0's has it folded into its query filter.
      const qScale = sameScale ? 1 : hp.scale / scale;
      const k = kernels[j]!;
      const lo = (side - k) / 2;
      const dw = numbersOf(constantOf(hp.dw.inputs[1]!)!);
      const db = hp.dw.inputs[2] ? numbersOf(constantOf(hp.dw.inputs[2])!) : undefined;
      for (let ch = 0; ch < kd; ch++) {
        for (let ty = 0; ty < k; ty++) for (let tx = 0; tx < k; tx++) wDw[((j * kd + ch) * side + lo + ty) * side + lo + tx] = dw[(ch * k + ty) * k + tx]! * qScale;
        bDw[j * kd + ch] = (db ? db[ch]! : 0) * qScale;
      }
      bias.set(hp.bias, j * n * n);
    });
    const pw = numbersOf(constantOf(proj.inputs[1]!)!);
    const outChannels = shapeOf(proj.outputs[0]!)[1]!;
    const pb = proj.inputs[2] ? numbersOf(constantOf(proj.inputs[2])!) : new Float64Array(outChannels);
    return {
      x,
      heads: h,
      keyDim: kd,
      kernels,
      scale,
      activation,
      wQkv,
      bQkv,
      wDw,
      kernelSide: side,
      bDw,
      bias,
      wProj: Float64Array.from(pw),
      bProj: Float64Array.from(pb),
      outChannels,
      tokens: n,
    };
  }
}

function range(start: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => start + i);
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function sameMap(a: Int32Array, b: Int32Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function isIdentity(map: Int32Array): boolean {
  return map.every((x, i) => x === i + 1);
}

/** Calls `f` on every multi-index of `shape` (row-major) until it returns false. */
function everyIndex(shape: readonly number[], f: (idx: number[]) => boolean): boolean {
  const total = numel(shape);
  const idx = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < total; i++) {
    if (!f(idx)) return false;
    for (let a = shape.length - 1; a >= 0; a--) {
      if (++idx[a]! < shape[a]!) break;
      idx[a] = 0;
    }
  }
  return true;
}
