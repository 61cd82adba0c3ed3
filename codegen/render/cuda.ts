import Handlebars from 'handlebars';
import { elemOf, isVec, type BinaryOp, type BuiltinIndex, type Intrinsic, type KBuffer, type KExpr, type Kernel, type KStmt, type KType, type Scalar } from '../kernel-ir/types.js';
import { shortestF32 } from './float-literal.js';
import { CUDA_KERNEL_TEMPLATE, CUDA_KERNELS_TEMPLATE, CUDA_SIGNATURE_TEMPLATE } from './templates/cuda-kernels.js';

/**
 * CUDA C renderer for the kernel IR: one `extern "C" __global__` function per kernel, storage
 * buffers as `__restrict__` pointers, workgroup memory as `__shared__` arrays, launch indices from
 * blockIdx/threadIdx. Semantics follow WGSL's where C differs: u32 arithmetic wraps (unsigned int),
 * i32 + - * wrap (computed in unsigned), shift counts are masked to 5 bits, float→int conversions
 * saturate (__float2int_rz), variables without initialiser start at zero.
 */

const kernelTemplate = Handlebars.compile(CUDA_KERNEL_TEMPLATE, { noEscape: true, strict: true });
const signatureTemplate = Handlebars.compile(CUDA_SIGNATURE_TEMPLATE, { noEscape: true, strict: true });
const kernelsTemplate = Handlebars.compile(CUDA_KERNELS_TEMPLATE, { noEscape: true, strict: true });

const LANES = ['x', 'y', 'z', 'w'] as const;
const AXES = ['x', 'y', 'z'] as const;

/** Float math intrinsics: CUDA's single-precision function and the lane-wise vector helper name. */
const UNARY_F32: Partial<Record<Intrinsic, string>> = {
  exp: 'expf',
  log: 'logf',
  sqrt: 'sqrtf',
  inverse_sqrt: 'rsqrtf',
  tanh: 'tanhf',
  erf: 'erff',
  abs: 'fabsf',
  floor: 'floorf',
  ceil: 'ceilf',
};
const BINARY_F32: Partial<Record<Intrinsic, string>> = { max: 'fmaxf', min: 'fminf', pow: 'powf' };
const TERNARY_F32: Partial<Record<Intrinsic, string>> = { fma: 'fmaf', clamp: 'vitc_clampf' };

/** Names kernels may not use: C++ keywords, CUDA built-ins, and what the rendered code calls. */
const RESERVED = new Set([
  ...'alignas alignof and asm auto bool break case catch char class const constexpr const_cast continue decltype default delete do double dynamic_cast else enum explicit export extern false float for friend goto if inline int long mutable namespace new noexcept not nullptr operator or private protected public register reinterpret_cast return short signed sizeof static static_assert static_cast struct switch template this thread_local throw true try typedef typeid typename union unsigned using virtual void volatile wchar_t while xor'.split(' '),
  ...'threadIdx blockIdx blockDim gridDim warpSize fmodf fmaf __int_as_float __float2int_rz __float2uint_rz'.split(' '),
  ...Object.values(UNARY_F32),
  ...Object.values(BINARY_F32),
  'float2',
  'float3',
  'float4',
  'make_float2',
  'make_float3',
  'make_float4',
]);

function unsupported(what: string): never {
  throw new Error(`CUDA renderer: ${what} is not supported`);
}

function identifier(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || RESERVED.has(name) || name.startsWith('vitc_') || name.includes('__'))
    throw new Error(`CUDA renderer: '${name}' cannot be used as a CUDA identifier`);
  return name;
}

/** The C type of a kernel-IR type (f32 vectors map to CUDA's float2/3/4). */
export function cudaType(t: KType): string {
  if (isVec(t)) {
    if (t.elem !== 'f32') unsupported(`vector type vec${t.width}<${t.elem}>`);
    return `float${t.width}`;
  }
  switch (t) {
    case 'f32':
      return 'float';
    case 'i32':
      return 'int';
    case 'u32':
      return 'unsigned int';
    case 'bool':
      return 'bool';
    case 'f16':
      return unsupported('f16');
  }
}

/** Source text of a scalar literal; f32 values read back bit-exactly, infinities and NaN included. */
export function cudaLiteral(type: Scalar, value: number): string {
  switch (type) {
    case 'u32':
      return `${value >>> 0}u`;
    case 'i32': {
      const v = value | 0;
      if (v === -2147483648) return '(-2147483647 - 1)';
      return v < 0 ? `(${v})` : `${v}`;
    }
    case 'bool':
      return value ? 'true' : 'false';
    case 'f32': {
      if (Number.isNaN(value)) return '__int_as_float(0x7fffffff)';
      if (value === Infinity) return '__int_as_float(0x7f800000)';
      if (value === -Infinity) return '(-__int_as_float(0x7f800000))';
      if (Object.is(value, -0)) return '(-0.0f)';
      const s = `${shortestF32(value)}f`;
      return value < 0 ? `(${s})` : s;
    }
    case 'f16':
      return unsupported('f16');
  }
}

function zero(t: KType): string {
  if (isVec(t)) return `vitc_splat${t.width}(0.0f)`;
  return cudaLiteral(t, 0);
}

function isInt(t: KType): boolean {
  return t === 'i32' || t === 'u32';
}

/** Converts a rendered scalar `x` of type `from` to `to` with WGSL's conversion semantics. */
function convert(x: string, from: Scalar, to: Scalar): string {
  if (from === 'f16' || to === 'f16') unsupported('f16');
  switch (to) {
    case 'f32':
      return from === 'bool' ? `(${x} ? 1.0f : 0.0f)` : `((float)${x})`;
    case 'i32':
      return from === 'f32' ? `__float2int_rz(${x})` : `((int)${x})`;
    case 'u32':
      return from === 'f32' ? `__float2uint_rz(${x})` : `((unsigned int)${x})`;
    case 'bool':
      return from === 'f32' ? `(${x} != 0.0f)` : `(${x} != ${cudaLiteral(from, 0)})`;
  }
}

function binary(op: BinaryOp, type: KType, a: string, b: string): string {
  const t = elemOf(type);
  if (op === '%' && t === 'f32') return isVec(type) ? `vitc_fmod(${a}, ${b})` : `fmodf(${a}, ${b})`;
  if (isInt(type) && (op === '<<' || op === '>>')) {
    const count = t === 'u32' ? `(${b} & 31u)` : `((unsigned int)${b} & 31u)`;
    // A left shift of a negative int is undefined in C before C++20: shift the bits unsigned.
    if (t === 'i32' && op === '<<') return `((int)((unsigned int)${a} << ${count}))`;
    return `(${a} ${op} ${count})`;
  }
  // Signed overflow is undefined in C but wraps in WGSL: add, subtract and multiply as unsigned.
  if (t === 'i32' && (op === '+' || op === '-' || op === '*')) return `((int)((unsigned int)${a} ${op} (unsigned int)${b}))`;
  return `(${a} ${op} ${b})`;
}

function intrinsic(fn: Intrinsic, type: KType, args: readonly string[], argTypes: readonly KType[]): string {
  const list = args.join(', ');
  if (fn === 'select') return `(${args[0]} ? ${args[1]} : ${args[2]})`;
  if (fn === 'dot') {
    if (!isVec(argTypes[0]!)) unsupported('dot of scalars');
    return `vitc_dot(${list})`;
  }
  if (isVec(type)) {
    if (fn in UNARY_F32 || fn in BINARY_F32 || fn in TERNARY_F32) return `vitc_${fn}(${list})`;
    return unsupported(`${fn} on ${cudaType(type)}`);
  }
  if (type === 'f32') {
    const f = UNARY_F32[fn] ?? BINARY_F32[fn] ?? TERNARY_F32[fn];
    if (!f) return unsupported(`${fn} on f32`);
    return `${f}(${list})`;
  }
  if (isInt(type) && (fn === 'max' || fn === 'min' || fn === 'clamp' || fn === 'abs')) return `vitc_${fn}(${list})`;
  return unsupported(`${fn} on ${type}`);
}

/** A launch index; the block shape is fixed per kernel, so constants replace blockDim (ptxas folds them). */
function launchIndex(which: BuiltinIndex, axis: 0 | 1 | 2, wg: readonly [number, number, number]): string {
  const a = AXES[axis];
  switch (which) {
    case 'local_id':
      return `threadIdx.${a}`;
    case 'workgroup_id':
      return `blockIdx.${a}`;
    case 'global_id':
      return `(blockIdx.${a} * ${wg[axis]}u + threadIdx.${a})`;
    case 'local_index':
      return `(threadIdx.x + ${wg[0]}u * (threadIdx.y + ${wg[1]}u * threadIdx.z))`;
  }
}

function expression(e: KExpr, wg: readonly [number, number, number]): string {
  const ex = (x: KExpr) => expression(x, wg);
  switch (e.k) {
    case 'lit':
      return cudaLiteral(e.type, e.value);
    case 'ref':
      return identifier(e.name);
    case 'builtin':
      return launchIndex(e.which, e.axis, wg);
    case 'bin':
      return binary(e.op, e.a.type, ex(e.a), ex(e.b));
    case 'neg':
      if (e.type === 'i32') return `((int)(0u - (unsigned int)${ex(e.a)}))`;
      if (e.type === 'u32') return `(0u - ${ex(e.a)})`;
      return `(-${ex(e.a)})`;
    case 'not':
      return `(!${ex(e.a)})`;
    case 'call':
      return intrinsic(
        e.fn,
        e.type,
        e.args.map(ex),
        e.args.map((x) => x.type),
      );
    case 'cast':
      if (isVec(e.type) || isVec(e.a.type)) {
        if (isVec(e.type) && isVec(e.a.type) && e.type.elem === e.a.type.elem && e.type.width === e.a.type.width) return ex(e.a);
        return unsupported(`vector conversion to ${cudaType(e.type)}`);
      }
      return convert(ex(e.a), e.a.type, e.type);
    case 'splat':
      return `vitc_splat${e.type.width}(${ex(e.a)})`;
    case 'vec':
      return `make_${cudaType(e.type)}(${e.parts.map(ex).join(', ')})`;
    case 'lane':
      return `${ex(e.a)}.${LANES[e.lane]}`;
    case 'load':
      return `${identifier(e.buffer)}[${ex(e.index)}]`;
    case 'shared_load':
      return `${identifier(e.mem)}[${ex(e.index)}]`;
  }
}

function statements(body: readonly KStmt[], wg: readonly [number, number, number]): string {
  const ex = (x: KExpr) => expression(x, wg);
  const lines: string[] = [];
  const stmt = (s: KStmt, ind: string): void => {
    switch (s.k) {
      case 'let':
        lines.push(`${ind}const ${cudaType(s.value.type)} ${identifier(s.name)} = ${ex(s.value)};`);
        break;
      case 'var':
        // WGSL zero-initialises variables declared without a value.
        lines.push(`${ind}${cudaType(s.type)} ${identifier(s.name)} = ${s.init ? ex(s.init) : zero(s.type)};`);
        break;
      case 'assign':
        lines.push(`${ind}${identifier(s.name)} = ${ex(s.value)};`);
        break;
      case 'store':
        lines.push(`${ind}${identifier(s.buffer)}[${ex(s.index)}] = ${ex(s.value)};`);
        break;
      case 'shared_store':
        lines.push(`${ind}${identifier(s.mem)}[${ex(s.index)}] = ${ex(s.value)};`);
        break;
      case 'for': {
        const i = identifier(s.index);
        // Left alone, ptxas fully unrolls short constant-trip K loops and hoists every step's
        // loads (a 1×4 GEMM tile over K = 48 then took 128 registers and spilled); not unrolling
        // at all made tiny latency-bound GEMMs slower. Four trips in flight bound both.
        if (s.rolled) lines.push(`${ind}#pragma unroll 4`);
        lines.push(`${ind}for (${cudaType(s.start.type)} ${i} = ${ex(s.start)}; ${i} < ${ex(s.end)}; ${i} += ${cudaLiteral(elemOf(s.start.type), s.step)}) {`);
        s.body.forEach((b) => stmt(b, ind + '  '));
        lines.push(`${ind}}`);
        break;
      }
      case 'if':
        lines.push(`${ind}if (${ex(s.cond)}) {`);
        s.then.forEach((b) => stmt(b, ind + '  '));
        if (s.else && s.else.length > 0) {
          lines.push(`${ind}} else {`);
          s.else.forEach((b) => stmt(b, ind + '  '));
        }
        lines.push(`${ind}}`);
        break;
      case 'block':
        lines.push(`${ind}{`);
        s.body.forEach((b) => stmt(b, ind + '  '));
        lines.push(`${ind}}`);
        break;
      case 'barrier':
        lines.push(`${ind}__syncthreads();`);
        break;
      case 'comment':
        lines.push(`${ind}// ${s.text.replace(/[\r\n]+/g, ' ')}`);
        break;
    }
  };
  body.forEach((s) => stmt(s, '  '));
  return lines.join('\n');
}

/** The C type of a buffer's elements: float, int, unsigned int, or float4 for vec4 buffers. */
function elementType(b: { readonly elem: Scalar; readonly vec: 1 | 4 }): string {
  return b.vec === 4 ? cudaType({ kind: 'vec', elem: b.elem, width: 4 }) : cudaType(b.elem);
}

/** A kernel parameter's pointer type: const for buffers the kernel only reads. */
export function cudaParamType(b: KBuffer): string {
  return `${b.access === 'read' ? 'const ' : ''}${elementType(b)}*`;
}

/** Threads per SM the launch bounds ask ptxas to keep resident (see CUDA_KERNEL_TEMPLATE). */
const RESIDENT_THREADS_PER_SM = 512;

/** `extern "C" __global__ void ... name(params)`: the definition's head and the launcher's prototype. */
export function cudaSignature(k: Kernel): string {
  const threads = k.workgroupSize[0] * k.workgroupSize[1] * k.workgroupSize[2];
  return signatureTemplate({
    name: identifier(k.name),
    threads,
    // Registers are allocated per warp: a 16-thread block holds a whole warp's registers.
    minBlocks: Math.max(1, Math.floor(RESIDENT_THREADS_PER_SM / (Math.ceil(threads / 32) * 32))),
    params: k.buffers.map((b) => ({ type: cudaParamType(b), name: identifier(b.name) })),
  });
}

/** Renders one kernel as a CUDA C `__global__` function named after the kernel. */
export function renderCudaKernel(k: Kernel): string {
  return kernelTemplate({
    signature: cudaSignature(k),
    shared: k.shared.map((m) => ({ type: elementType(m), name: identifier(m.name), length: m.length })),
    body: statements(k.body, k.workgroupSize),
  });
}

const VECTORS = ([2, 3, 4] as const).map((width) => ({ type: `float${width}`, width, lanes: LANES.slice(0, width) }));

/** A complete `.cu` file: the fixed helper skeleton and every kernel (names must be distinct). */
export function renderCudaKernels(kernels: readonly Kernel[], opts: { file: string; model: string }): string {
  const names = new Set<string>();
  for (const k of kernels) {
    if (names.has(k.name)) throw new Error(`CUDA renderer: two kernels named ${k.name}`);
    names.add(k.name);
  }
  return kernelsTemplate({
    file: opts.file,
    model: opts.model.replace(/[\r\n]+/g, ' '),
    count: kernels.length,
    ints: ['int', 'unsigned int'],
    vectors: VECTORS,
    operators: ['+', '-', '*', '/'],
    unary: Object.entries(UNARY_F32).map(([name, fn]) => ({ name, fn })),
    binary: [...Object.entries(BINARY_F32).map(([name, fn]) => ({ name, fn })), { name: 'fmod', fn: 'fmodf' }],
    ternary: Object.entries(TERNARY_F32).map(([name, fn]) => ({ name, fn })),
    kernels: kernels.map(renderCudaKernel),
  });
}
