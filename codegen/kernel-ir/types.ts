/**
 * vitc's loop-level kernel IR: one compute kernel as buffers, workgroup memory, a launch shape and
 * a statement tree. Both renderers (WGSL, CUDA) translate exactly this; schedules decide its shape.
 * Values are immutable trees; every expression carries its type.
 */
export type Scalar = 'f32' | 'f16' | 'i32' | 'u32' | 'bool';

export interface VecType {
  readonly kind: 'vec';
  readonly elem: Scalar;
  readonly width: 2 | 3 | 4;
}

export type KType = Scalar | VecType;

export type BinaryOp = '+' | '-' | '*' | '/' | '%' | '<' | '<=' | '>' | '>=' | '==' | '!=' | '&&' | '||' | '&' | '|' | '^' | '<<' | '>>';

/** Built-in functions every backend renders. */
export type Intrinsic =
  | 'exp'
  | 'log'
  | 'sqrt'
  | 'inverse_sqrt'
  | 'tanh'
  | 'erf'
  | 'abs'
  | 'floor'
  | 'ceil'
  | 'max'
  | 'min'
  | 'clamp'
  | 'fma'
  | 'pow'
  | 'select'
  | 'dot';

/** Launch indices, each a u32. */
export type BuiltinIndex = 'global_id' | 'local_id' | 'workgroup_id' | 'local_index';

export type KExpr =
  | { readonly k: 'lit'; readonly type: Scalar; readonly value: number }
  /** A named value; `align` records a known divisor (set when the bound value is a multiple of it). */
  | { readonly k: 'ref'; readonly type: KType; readonly name: string; readonly align?: number }
  | { readonly k: 'builtin'; readonly type: 'u32'; readonly which: BuiltinIndex; readonly axis: 0 | 1 | 2 }
  | { readonly k: 'bin'; readonly type: KType; readonly op: BinaryOp; readonly a: KExpr; readonly b: KExpr }
  | { readonly k: 'neg'; readonly type: KType; readonly a: KExpr }
  | { readonly k: 'not'; readonly type: 'bool'; readonly a: KExpr }
  | { readonly k: 'call'; readonly type: KType; readonly fn: Intrinsic; readonly args: readonly KExpr[] }
  | { readonly k: 'cast'; readonly type: KType; readonly a: KExpr }
  | { readonly k: 'splat'; readonly type: VecType; readonly a: KExpr }
  | { readonly k: 'vec'; readonly type: VecType; readonly parts: readonly KExpr[] }
  | { readonly k: 'lane'; readonly type: Scalar; readonly a: KExpr; readonly lane: number }
  /** Element `index` of a storage buffer (a vec4 element for vec buffers). */
  | { readonly k: 'load'; readonly type: KType; readonly buffer: string; readonly index: KExpr }
  /** Element `index` of a workgroup-memory array. */
  | { readonly k: 'shared_load'; readonly type: KType; readonly mem: string; readonly index: KExpr };

export type KStmt =
  | { readonly k: 'let'; readonly name: string; readonly value: KExpr }
  | { readonly k: 'var'; readonly name: string; readonly type: KType; readonly init?: KExpr }
  | { readonly k: 'assign'; readonly name: string; readonly value: KExpr }
  | { readonly k: 'store'; readonly buffer: string; readonly index: KExpr; readonly value: KExpr }
  | { readonly k: 'shared_store'; readonly mem: string; readonly index: KExpr; readonly value: KExpr }
  | {
      readonly k: 'for';
      readonly index: string;
      readonly start: KExpr;
      readonly end: KExpr;
      readonly step: number;
      /** Expand at compile time (bounds must be constant); renderers never see unrolled loops. */
      readonly unroll: boolean;
      /** Its unrolling is a schedule knob already applied: backends bound further unrolling (CUDA: `#pragma unroll 4`). */
      readonly rolled?: boolean;
      readonly body: readonly KStmt[];
    }
  | { readonly k: 'if'; readonly cond: KExpr; readonly then: readonly KStmt[]; readonly else?: readonly KStmt[] }
  /** A nested scope (names declared inside are local to it). */
  | { readonly k: 'block'; readonly body: readonly KStmt[] }
  /**
   * Workgroup-wide barrier over workgroup memory, or with `storage` over storage buffers (a
   * kernel that passes data between its invocations through a scratch buffer). Must be reached
   * by every invocation.
   */
  | { readonly k: 'barrier'; readonly storage?: boolean }
  | { readonly k: 'comment'; readonly text: string };

export interface KBuffer {
  readonly name: string;
  readonly access: 'read' | 'read_write';
  readonly elem: Scalar;
  /** 4 when the kernel addresses the buffer in vec4 elements. */
  readonly vec: 1 | 4;
  /** Length in (vector) elements; the binding must provide at least this much. */
  readonly length: number;
}

export interface KShared {
  readonly name: string;
  readonly elem: Scalar;
  readonly vec: 1 | 4;
  readonly length: number;
}

export interface Kernel {
  readonly name: string;
  /** Storage buffers in binding order. */
  readonly buffers: readonly KBuffer[];
  readonly shared: readonly KShared[];
  readonly workgroupSize: readonly [number, number, number];
  /** Workgroups launched per axis. */
  readonly grid: readonly [number, number, number];
  readonly body: readonly KStmt[];
}

export function isVec(t: KType): t is VecType {
  return typeof t !== 'string';
}

export function elemOf(t: KType): Scalar {
  return isVec(t) ? t.elem : t;
}

export function vecType(elem: Scalar, width: 2 | 3 | 4): VecType {
  return { kind: 'vec', elem, width };
}

export function typeEquals(a: KType, b: KType): boolean {
  return isVec(a) ? isVec(b) && a.elem === b.elem && a.width === b.width : a === b;
}

export function typeName(t: KType): string {
  return isVec(t) ? `vec${t.width}<${t.elem}>` : t;
}

export function sharedBytes(k: Kernel): number {
  return k.shared.reduce((s, m) => s + m.length * m.vec * (m.elem === 'f16' ? 2 : 4), 0);
}
