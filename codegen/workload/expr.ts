/**
 * Pointwise expressions of fused work: epilogues of matmuls, elementwise kernels, the bodies
 * of reductions. Leaves are operands read at the current output index, the accumulator of the
 * surrounding computation, or constants. Plain data: part of a workload's canonical key.
 */
export type UnaryFn =
  | 'neg'
  | 'abs'
  | 'exp'
  | 'log'
  | 'sqrt'
  | 'reciprocal'
  | 'erf'
  | 'tanh'
  | 'sigmoid'
  | 'relu'
  | 'gelu'
  | 'gelu_tanh'
  | 'silu'
  | 'hard_sigmoid'
  | 'hard_swish'
  | 'floor'
  | 'ceil'
  | 'not';

export type BinaryFn = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'max' | 'min' | 'equal' | 'less' | 'greater' | 'and' | 'or';

export type EExpr =
  | { readonly op: 'acc' }
  | { readonly op: 'input'; readonly index: number }
  | { readonly op: 'const'; readonly value: number }
  | { readonly op: 'unary'; readonly fn: UnaryFn; readonly a: EExpr }
  | { readonly op: 'binary'; readonly fn: BinaryFn; readonly a: EExpr; readonly b: EExpr }
  | { readonly op: 'where'; readonly cond: EExpr; readonly a: EExpr; readonly b: EExpr }
  | { readonly op: 'clip'; readonly a: EExpr; readonly lo: number | null; readonly hi: number | null };

export const ACC: EExpr = { op: 'acc' };

export function exprInputs(e: EExpr, out: Set<number> = new Set()): Set<number> {
  switch (e.op) {
    case 'input':
      out.add(e.index);
      break;
    case 'unary':
    case 'clip':
      exprInputs(e.a, out);
      break;
    case 'binary':
      exprInputs(e.a, out);
      exprInputs(e.b, out);
      break;
    case 'where':
      exprInputs(e.cond, out);
      exprInputs(e.a, out);
      exprInputs(e.b, out);
      break;
  }
  return out;
}

/** Number of operations, for FLOP and cost estimates. */
export function exprOps(e: EExpr): number {
  switch (e.op) {
    case 'acc':
    case 'input':
    case 'const':
      return 0;
    case 'unary':
    case 'clip':
      return 1 + exprOps(e.a);
    case 'binary':
      return 1 + exprOps(e.a) + exprOps(e.b);
    case 'where':
      return 1 + exprOps(e.cond) + exprOps(e.a) + exprOps(e.b);
  }
}
