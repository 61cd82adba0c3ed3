import Handlebars from 'handlebars';
import { elemOf, isVec, type BinaryOp, type KExpr, type Kernel, type KStmt, type KType, type Scalar } from '../kernel-ir/types.js';
import { shortestF32 } from './float-literal.js';
import { WGSL_MODULE_TEMPLATE } from './templates/wgsl-module.js';

const moduleTemplate = Handlebars.compile(WGSL_MODULE_TEMPLATE, { noEscape: true, strict: true });

const BUILTIN_VAR = { global_id: 'gid', local_id: 'lid', workgroup_id: 'wid', local_index: 'lidx' } as const;
const AXES = ['x', 'y', 'z'] as const;

/** WGSL has no erf: Abramowitz–Stegun 7.1.26 (|error| < 1.5e-7), enough for GELU at f32. */
const ERF_HELPER = `fn vitc_erf(x: f32) -> f32 {
  let t = 1.0 / (1.0 + 0.3275911 * abs(x));
  let y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * exp(-x * x);
  return select(-y, y, x >= 0.0);
}`;
const ERF4_HELPER = `fn vitc_erf4(x: vec4<f32>) -> vec4<f32> {
  return vec4<f32>(vitc_erf(x.x), vitc_erf(x.y), vitc_erf(x.z), vitc_erf(x.w));
}`;

function wgslType(t: KType): string {
  return isVec(t) ? `vec${t.width}<${t.elem}>` : t;
}

function literal(type: Scalar, value: number): string {
  switch (type) {
    case 'u32':
      return `${value >>> 0}u`;
    case 'i32':
      return value < 0 ? `(${value | 0}i)` : `${value | 0}i`;
    case 'bool':
      return value ? 'true' : 'false';
    case 'f16':
    case 'f32': {
      const suffix = type === 'f32' ? 'f' : 'h';
      // WGSL constant expressions cannot hold inf or NaN: infinities saturate to the largest
      // finite float (what max/min initialisers need); NaN has no literal at all.
      if (Number.isNaN(value)) throw new Error('kernel IR: NaN literal cannot be rendered to WGSL');
      if (value === Infinity) value = 3.4e38;
      if (value === -Infinity) value = -3.4e38;
      const s = shortestF32(value);
      return value < 0 ? `(${s}${suffix})` : `${s}${suffix}`;
    }
  }
}

/**
 * Kernel IR expressions have no side effects, and WGSL bounds every access, so logical and/or
 * never need to short-circuit. Tint lowers `&&`/`||` to branches; inside loops those branches
 * blow up SwiftShader's shader compiler (a LowFormer depthwise+QKV kernel with 36 guarded taps
 * did not finish compiling in 60 s; with `&` it compiles in 0.9 s), so emit the non-short-circuit
 * forms, which stay straight-line code.
 */
function wgslOperator(op: BinaryOp): string {
  return op === '&&' ? '&' : op === '||' ? '|' : op;
}

/** Renders one kernel as a complete WGSL module with entry point `main`. */
export function renderWgsl(k: Kernel): string {
  const helpers = new Set<string>();
  const expr = (e: KExpr): string => {
    switch (e.k) {
      case 'lit':
        return literal(e.type, e.value);
      case 'ref':
        return e.name;
      case 'builtin':
        return e.which === 'local_index' ? 'lidx' : `${BUILTIN_VAR[e.which]}.${AXES[e.axis]}`;
      case 'bin':
        return `(${expr(e.a)} ${wgslOperator(e.op)} ${expr(e.b)})`;
      case 'neg':
        return `(-${expr(e.a)})`;
      case 'not':
        return `(!${expr(e.a)})`;
      case 'call': {
        const args = e.args.map(expr);
        switch (e.fn) {
          case 'select':
            return `select(${args[2]}, ${args[1]}, ${args[0]})`;
          case 'inverse_sqrt':
            return `inverseSqrt(${args[0]})`;
          case 'erf':
            helpers.add(ERF_HELPER);
            if (isVec(e.type)) {
              helpers.add(ERF4_HELPER);
              return `vitc_erf4(${args[0]})`;
            }
            return `vitc_erf(${args[0]})`;
          default:
            return `${e.fn}(${args.join(', ')})`;
        }
      }
      case 'cast':
        return `${wgslType(e.type)}(${expr(e.a)})`;
      case 'splat':
        return `${wgslType(e.type)}(${expr(e.a)})`;
      case 'vec':
        return `${wgslType(e.type)}(${e.parts.map(expr).join(', ')})`;
      case 'lane':
        return `${expr(e.a)}.${'xyzw'[e.lane]}`;
      case 'load':
        return `${e.buffer}[${expr(e.index)}]`;
      case 'shared_load':
        return `${e.mem}[${expr(e.index)}]`;
    }
  };
  const lines: string[] = [];
  const stmt = (s: KStmt, ind: string): void => {
    switch (s.k) {
      case 'let':
        lines.push(`${ind}let ${s.name} = ${expr(s.value)};`);
        break;
      case 'var':
        lines.push(`${ind}var ${s.name}: ${wgslType(s.type)}${s.init ? ` = ${expr(s.init)}` : ''};`);
        break;
      case 'assign':
        lines.push(`${ind}${s.name} = ${expr(s.value)};`);
        break;
      case 'store':
        lines.push(`${ind}${s.buffer}[${expr(s.index)}] = ${expr(s.value)};`);
        break;
      case 'shared_store':
        lines.push(`${ind}${s.mem}[${expr(s.index)}] = ${expr(s.value)};`);
        break;
      case 'for': {
        const t = wgslType(s.start.type);
        lines.push(`${ind}for (var ${s.index}: ${t} = ${expr(s.start)}; ${s.index} < ${expr(s.end)}; ${s.index} += ${literal(elemOf(s.start.type), s.step)}) {`);
        s.body.forEach((b) => stmt(b, ind + '  '));
        lines.push(`${ind}}`);
        break;
      }
      case 'if':
        lines.push(`${ind}if (${expr(s.cond)}) {`);
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
        lines.push(`${ind}${s.storage ? 'storageBarrier' : 'workgroupBarrier'}();`);
        break;
      case 'comment':
        lines.push(`${ind}// ${s.text.replace(/\n/g, ' ')}`);
        break;
    }
  };
  k.body.forEach((s) => stmt(s, '  '));
  const vecType = (elem: Scalar, v: 1 | 4) => (v === 4 ? `vec4<${elem}>` : elem);
  return moduleTemplate({
    name: k.name,
    buffers: k.buffers.map((b) => ({ name: b.name, access: b.access, type: vecType(b.elem, b.vec) })),
    shared: k.shared.map((m) => ({ name: m.name, type: vecType(m.elem, m.vec), length: m.length })),
    helpers: [...helpers],
    workgroupSize: k.workgroupSize.join(', '),
    body: lines.join('\n'),
  });
}
