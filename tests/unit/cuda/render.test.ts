import assert from 'node:assert/strict';
import { test } from 'node:test';
import { add, bin, builtin, call, cast, f32, i32, lane, load, lit, lt, mul, ref, sharedLoad, splat, u32, vec } from '../../../codegen/kernel-ir/build.js';
import { type KBuffer, type Kernel, type KShared, type KStmt, vecType } from '../../../codegen/kernel-ir/types.js';
import { cudaLiteral, renderCudaKernel, renderCudaKernels } from '../../../codegen/render/cuda.js';
import { rng } from '../../helpers/random.js';

const F4 = vecType('f32', 4);
const buffer = (name: string, access: KBuffer['access'], vec: 1 | 4, length: number, elem: KBuffer['elem'] = 'f32'): KBuffer => ({ name, access, elem, vec, length });

test('a small vec4 kernel renders to the expected CUDA C', () => {
  const in0 = buffer('in0', 'read', 1, 8);
  const i = ref('i', 'u32');
  const x = ref('x', F4);
  const body: KStmt[] = [
    { k: 'let', name: 'i', value: builtin('global_id', 0) },
    {
      k: 'if',
      cond: lt(i, u32(2)),
      then: [
        { k: 'let', name: 'x', value: vec(F4, [0, 1, 2, 3].map((l) => load(in0, add(mul(i, u32(4)), u32(l))))) },
        { k: 'store', buffer: 'out0', index: i, value: call('fma', x, splat(F4, f32(1.5)), splat(F4, f32(-Infinity))) },
      ],
    },
  ];
  const k: Kernel = { name: 'tiny', buffers: [in0, buffer('out0', 'read_write', 4, 2)], shared: [], workgroupSize: [4, 1, 1], grid: [1, 1, 1], body };
  assert.equal(
    renderCudaKernel(k),
    `extern "C" __global__ void __launch_bounds__(4, 16) tiny(const float* __restrict__ in0, float4* __restrict__ out0) {
  const unsigned int i = (blockIdx.x * 4u + threadIdx.x);
  if ((i < 2u)) {
    const float4 x = make_float4(in0[(i * 4u)], in0[((i * 4u) + 1u)], in0[((i * 4u) + 2u)], in0[((i * 4u) + 3u)]);
    out0[i] = vitc_fma(x, vitc_splat4(1.5f), vitc_splat4((-__int_as_float(0x7f800000))));
  }
}`,
  );
});

test('shared memory, barriers, loops, zero-initialised variables, wrapping i32 and conversions', () => {
  const tile: KShared = { name: 'tile', elem: 'f32', vec: 1, length: 64 };
  const in0 = buffer('in0', 'read', 1, 64);
  const acc = ref('acc', 'f32');
  const n = ref('n', 'i32');
  const w = ref('w', 'i32');
  const body: KStmt[] = [
    { k: 'var', name: 'acc', type: 'f32' },
    { k: 'shared_store', mem: 'tile', index: builtin('local_index'), value: call('erf', load(in0, builtin('local_index'))) },
    { k: 'barrier' },
    { k: 'for', index: 'j', start: u32(0), end: u32(8), step: 2, unroll: false, body: [{ k: 'assign', name: 'acc', value: add(acc, sharedLoad(tile, add(mul(builtin('local_id', 1), u32(8)), ref('j', 'u32')))) }] },
    { k: 'let', name: 'n', value: cast('i32', acc) },
    { k: 'let', name: 'w', value: bin('*', n, i32(-3)) },
    { k: 'store', buffer: 'out0', index: builtin('workgroup_id', 1), value: call('select', bin('>', w, i32(0)), call('inverse_sqrt', acc), cast('f32', w)) },
    { k: 'comment', text: 'done\nhere' },
  ];
  const k: Kernel = { name: 'reduce_rows', buffers: [in0, buffer('out0', 'read_write', 1, 4)], shared: [tile], workgroupSize: [8, 8, 1], grid: [1, 4, 1], body };
  assert.equal(
    renderCudaKernel(k),
    `extern "C" __global__ void __launch_bounds__(64, 8) reduce_rows(const float* __restrict__ in0, float* __restrict__ out0) {
  __shared__ float tile[64];
  float acc = 0.0f;
  tile[(threadIdx.x + 8u * (threadIdx.y + 8u * threadIdx.z))] = erff(in0[(threadIdx.x + 8u * (threadIdx.y + 8u * threadIdx.z))]);
  __syncthreads();
  for (unsigned int j = 0u; j < 8u; j += 2u) {
    acc = (acc + tile[((threadIdx.y * 8u) + j)]);
  }
  const int n = __float2int_rz(acc);
  const int w = ((int)((unsigned int)n * (unsigned int)(-3)));
  out0[blockIdx.y] = ((w > 0) ? rsqrtf(acc) : ((float)w));
  // done here
}`,
  );
});

test('f32 literals read back as the same float, infinities and NaN included', () => {
  const r = rng(11);
  const bits = new Uint32Array(1);
  const asFloat = new Float32Array(bits.buffer);
  for (let n = 0; n < 20000; n++) {
    bits[0] = Math.floor(r() * 2 ** 32);
    const v = asFloat[0]!;
    if (!Number.isFinite(v)) continue;
    const text = cudaLiteral('f32', v);
    const m = /^\(?(-?[0-9.e+-]+)f\)?$/.exec(text);
    assert.ok(m, `literal ${text} for ${v}`);
    assert.ok(Object.is(Math.fround(Number(m[1])), v), `${text} reads back as ${Math.fround(Number(m[1]))}, not ${v}`);
  }
  assert.equal(cudaLiteral('f32', 1.5), '1.5f');
  assert.equal(cudaLiteral('f32', -0), '(-0.0f)');
  assert.equal(cudaLiteral('f32', Infinity), '__int_as_float(0x7f800000)');
  assert.equal(cudaLiteral('f32', -Infinity), '(-__int_as_float(0x7f800000))');
  assert.equal(cudaLiteral('f32', NaN), '__int_as_float(0x7fffffff)');
  assert.equal(cudaLiteral('u32', 4294967295), '4294967295u');
  assert.equal(cudaLiteral('i32', -2147483648), '(-2147483647 - 1)');
  assert.equal(cudaLiteral('i32', -5), '(-5)');
  assert.equal(cudaLiteral('bool', 1), 'true');
});

test('names that are not CUDA identifiers and types without a CUDA rendering are refused', () => {
  const k = (body: KStmt[], buffers: KBuffer[] = [buffer('out0', 'read_write', 1, 1)]): Kernel => ({ name: 'k', buffers, shared: [], workgroupSize: [1, 1, 1], grid: [1, 1, 1], body });
  assert.throws(() => renderCudaKernel(k([{ k: 'let', name: 'float', value: f32(1) }])), /'float' cannot be used/);
  assert.throws(() => renderCudaKernel(k([{ k: 'let', name: 'threadIdx', value: f32(1) }])), /cannot be used/);
  assert.throws(() => renderCudaKernel(k([{ k: 'let', name: 'vitc_x', value: f32(1) }])), /cannot be used/);
  assert.throws(() => renderCudaKernel(k([], [buffer('h', 'read', 1, 1, 'f16')])), /f16 is not supported/);
  assert.throws(() => renderCudaKernel(k([{ k: 'let', name: 'v', value: splat(vecType('u32', 4), u32(1)) }])), /vec4<u32>/);
  const dup: Kernel = k([]);
  assert.throws(() => renderCudaKernels([dup, dup], { file: 'kernels.cu', model: 'm' }), /two kernels named k/);
});

test('vector math goes through lane-wise helpers; scalar math through CUDA float functions', () => {
  const x = ref('x', F4);
  const s = ref('s', 'f32');
  const out = (value: Parameters<typeof lane>[0]): KStmt => ({ k: 'store', buffer: 'out0', index: u32(0), value });
  const text = renderCudaKernel({
    name: 'math',
    buffers: [buffer('out0', 'read_write', 1, 1)],
    shared: [],
    workgroupSize: [1, 1, 1],
    grid: [1, 1, 1],
    body: [
      { k: 'var', name: 'x', type: F4 },
      { k: 'var', name: 's', type: 'f32', init: lit('f32', 2) },
      out(lane(call('erf', call('max', x, splat(F4, s))), 3)),
      out(call('dot', x, x)),
      out(bin('%', s, f32(0.5))),
      out(lane(bin('%', x, x), 0)),
      out(call('clamp', s, f32(0), f32(1))),
      out(call('tanh', call('abs', s))),
    ],
  });
  for (const expected of [
    'float4 x = vitc_splat4(0.0f);',
    'float s = 2.0f;',
    'out0[0u] = vitc_erf(vitc_max(x, vitc_splat4(s))).w;',
    'out0[0u] = vitc_dot(x, x);',
    'out0[0u] = fmodf(s, 0.5f);',
    'out0[0u] = vitc_fmod(x, x).x;',
    'out0[0u] = vitc_clampf(s, 0.0f, 1.0f);',
    'out0[0u] = tanhf(fabsf(s));',
  ])
    assert.ok(text.includes(expected), `missing: ${expected}\n${text}`);
});
