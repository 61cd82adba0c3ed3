import type { BinaryOp, KExpr } from './types.js';

/**
 * Evaluates a scalar kernel-IR expression on the CPU with u32/i32 wrapping semantics. For tests
 * of index arithmetic (views, lowering) without a GPU; vectors are not supported.
 */
export function evaluate(e: KExpr, env: ReadonlyMap<string, number> = new Map(), load?: (buffer: string, index: number) => number): number {
  const ev = (x: KExpr) => evaluate(x, env, load);
  const wrap = (v: number): number => (e.type === 'u32' ? v >>> 0 : e.type === 'i32' ? v | 0 : e.type === 'f32' ? Math.fround(v) : v);
  switch (e.k) {
    case 'lit':
      return e.value;
    case 'ref': {
      const v = env.get(e.name);
      if (v === undefined) throw new Error(`evaluate: unbound ${e.name}`);
      return v;
    }
    case 'builtin': {
      const v = env.get(`${e.which}.${e.axis}`);
      if (v === undefined) throw new Error(`evaluate: unbound builtin ${e.which}.${e.axis}`);
      return v;
    }
    case 'bin':
      return wrap(binary(e.op, ev(e.a), ev(e.b), e.a.type === 'u32' || e.a.type === 'i32', e.type === 'u32'));
    case 'neg':
      return wrap(-ev(e.a));
    case 'not':
      return +(ev(e.a) === 0);
    case 'cast':
      return wrap(e.type === 'u32' || e.type === 'i32' ? Math.trunc(ev(e.a)) : ev(e.a));
    case 'call': {
      const args = e.args.map(ev);
      switch (e.fn) {
        case 'select':
          return args[0] ? args[1]! : args[2]!;
        case 'max':
          return Math.max(args[0]!, args[1]!);
        case 'min':
          return Math.min(args[0]!, args[1]!);
        case 'abs':
          return Math.abs(args[0]!);
        case 'exp':
          return wrap(Math.exp(args[0]!));
        case 'sqrt':
          return wrap(Math.sqrt(args[0]!));
        default:
          throw new Error(`evaluate: intrinsic ${e.fn} not supported`);
      }
    }
    case 'load':
      if (!load) throw new Error('evaluate: no buffers');
      return load(e.buffer, ev(e.index));
    default:
      throw new Error(`evaluate: ${e.k} not supported`);
  }
}

function binary(op: BinaryOp, a: number, b: number, int: boolean, unsigned: boolean): number {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return int ? Math.imul(a, b) : a * b;
    case '/':
      return int ? Math.trunc(a / b) : a / b;
    case '%':
      return a % b;
    case '<':
      return +(a < b);
    case '<=':
      return +(a <= b);
    case '>':
      return +(a > b);
    case '>=':
      return +(a >= b);
    case '==':
      return +(a === b);
    case '!=':
      return +(a !== b);
    case '&&':
      return +(a !== 0 && b !== 0);
    case '||':
      return +(a !== 0 || b !== 0);
    case '&':
      return a & b;
    case '|':
      return a | b;
    case '^':
      return a ^ b;
    case '<<':
      return a << b;
    case '>>':
      return unsigned ? a >>> b : a >> b;
  }
}
