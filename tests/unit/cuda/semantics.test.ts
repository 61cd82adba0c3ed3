import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { and, bin, builtin, call, cast, f32, i32, lane, load, lt, mod, not, or, sharedLoad, splat, u32, vec } from '../../../codegen/kernel-ir/build.js';
import { type KBuffer, type KExpr, type Kernel, type KShared, type KStmt, vecType } from '../../../codegen/kernel-ir/types.js';
import { cudaLiteral, cudaSignature, renderCudaKernels } from '../../../codegen/render/cuda.js';
import { buildEmulated } from './emulate.js';
import { runCommand } from './toolchain.js';

/**
 * Hand-built kernels rendered to CUDA C, compiled with g++ against the CPU emulation and run;
 * every result is compared with a value computed here in JavaScript. This checks the semantics
 * the renderer promises (wrapping u32/i32 arithmetic, masked shift counts, saturating float to
 * integer conversions, exact literals, float4 helpers) and that barriers order shared memory.
 */
const F4 = vecType('f32', 4);
const buf = (name: string, elem: KBuffer['elem'], access: KBuffer['access'], length: number): KBuffer => ({ name, elem, access, vec: 1, length });

const inU = buf('in_u', 'u32', 'read', 3);
const inI = buf('in_i', 'i32', 'read', 4);
const inF = buf('in_f', 'f32', 'read', 6);
const U = [0xfffffff0, 32, 33];
const I = [2147483647, -7, 3, -2147483648];
const F = [3.75, -3.75, 1e10, -1, 5e9, 4];
const [au, bu, cu] = [0, 1, 2].map((i) => load(inU, u32(i))) as [KExpr, KExpr, KExpr];
const [ai, bi, ci, mi] = [0, 1, 2, 3].map((i) => load(inI, u32(i))) as [KExpr, KExpr, KExpr, KExpr];
const [f0, f1, f2, f3, f4, f5] = [0, 1, 2, 3, 4, 5].map((i) => load(inF, u32(i))) as [KExpr, KExpr, KExpr, KExpr, KExpr, KExpr];
const fr = Math.fround;
const v = vec(F4, [f0, f1, f3, f0]);

const unsignedCases: [KExpr, number][] = [
  [bin('+', au, bu), (U[0]! + U[1]!) >>> 0],
  [bin('*', au, bu), Math.imul(U[0]!, U[1]!) >>> 0],
  [bin('-', bu, au), (U[1]! - U[0]!) >>> 0],
  [bin('>>', au, cu), U[0]! >>> 1], // shift counts are taken mod 32
  [bin('<<', bu, cu), (U[1]! << 1) >>> 0],
  [bin('/', au, cu), Math.floor(U[0]! / U[2]!)],
  [mod(au, cu), U[0]! % U[2]!],
  [cast('u32', f1), 0], // saturating conversions
  [cast('u32', f4), 4294967295],
  [cast('u32', f0), 3],
  [{ k: 'neg', type: 'u32', a: bu }, (0 - U[1]!) >>> 0],
  [call('min', au, bu), 32],
  [call('max', au, bu), U[0]!],
  [call('clamp', au, bu, cu), 33],
  [cast('u32', ai), 2147483647],
  [cast('u32', bi), (I[1]! >>> 0)],
];
const signedCases: [KExpr, number][] = [
  [bin('+', ai, ci), (I[0]! + I[2]!) | 0],
  [bin('*', ai, bi), Math.imul(I[0]!, I[1]!)],
  [bin('-', mi, ci), (I[3]! - I[2]!) | 0],
  [{ k: 'neg', type: 'i32', a: mi }, I[3]!],
  [bin('>>', bi, ci), I[1]! >> 3],
  [bin('<<', bi, i32(31)), I[1]! << 31],
  [bin('/', bi, ci), Math.trunc(I[1]! / I[2]!)],
  [mod(bi, ci), I[1]! % I[2]!],
  [cast('i32', f1), -3],
  [cast('i32', f2), 2147483647],
  [cast('i32', call('sqrt', f3)), 0], // NaN converts to 0
  [call('abs', mi), I[3]!],
  [call('abs', bi), 7],
  [cast('i32', au), U[0]! | 0],
  [call('max', bi, ci), 3],
];
const floatCases: [KExpr, number][] = [
  [mod(f2, f0), fr(1e10) % 3.75],
  [call('select', bin('>', au, bu), f0, f1), 3.75],
  [cast('f32', ai), fr(I[0]!)],
  [cast('f32', au), fr(U[0]!)],
  [cast('f32', lt(bi, ci)), 1],
  [f32(-Infinity), -Infinity],
  [f32(NaN), NaN],
  [f32(-0), -0],
  [f32(1e-45), fr(1e-45)],
  [f32(0.1), fr(0.1)],
  [call('clamp', f2, f1, f0), 3.75],
  [call('fma', f0, f1, f3), fr(3.75 * -3.75 - 1)],
  [call('inverse_sqrt', f5), 0.5],
  [call('dot', v, splat(F4, f32(2))), 2 * (3.75 - 3.75 - 1 + 3.75)],
  [lane(bin('/', bin('-', bin('*', v, splat(F4, f0)), splat(F4, f3)), splat(F4, f32(2))), 1), (-3.75 * 3.75 + 1) / 2],
  [lane({ k: 'neg', type: F4, a: v }, 2), 1],
  [lane(call('fma', v, v, splat(F4, f3)), 3), fr(3.75 * 3.75 - 1)],
  [lane(call('max', v, splat(F4, f32(0))), 1), 0],
  [call('floor', f1), -4],
  [call('ceil', f1), -3],
  [call('pow', f0, f32(2)), fr(3.75 ** 2)],
  [call('exp', f32(0)), 1],
  [cast('f32', and(not(lt(f0, f1)), or(lt(f1, f3), lt(f0, f1)))), 1],
];
// Transcendentals differ by an ulp or so between libraries: compared with a tolerance.
const approxCases: [KExpr, number][] = [
  [call('erf', f32(0.5)), 0.5204998778130465],
  [lane(call('erf', v), 2), -0.8427007929497149],
  [call('tanh', f32(0.5)), Math.tanh(0.5)],
  [call('log', f0), Math.log(3.75)],
];

const outU = buf('out_u', 'u32', 'read_write', unsignedCases.length);
const outI = buf('out_i', 'i32', 'read_write', signedCases.length);
const outF = buf('out_f', 'f32', 'read_write', floatCases.length + approxCases.length);
const stores = (b: KBuffer, cases: readonly [KExpr, number][], first = 0): KStmt[] => cases.map(([e], i) => ({ k: 'store', buffer: b.name, index: u32(first + i), value: e }));
const semantics: Kernel = {
  name: 'semantics',
  buffers: [inU, inI, inF, outU, outI, outF],
  shared: [],
  workgroupSize: [1, 1, 1],
  grid: [1, 1, 1],
  body: [...stores(outU, unsignedCases), ...stores(outI, signedCases), ...stores(outF, floatCases), ...stores(outF, approxCases, floatCases.length)],
};

// Each thread of a 4×2 block stores its value in shared memory, then reads its neighbour's: only a
// working barrier makes every neighbour's value visible. Two blocks, so shared memory is reused.
const tile: KShared = { name: 'tile', elem: 'f32', vec: 1, length: 8 };
const xs = buf('xs', 'f32', 'read', 16);
const ys = buf('ys', 'f32', 'read_write', 16);
const lidx = builtin('local_index');
const gid = bin('+', bin('*', builtin('workgroup_id', 0), u32(8)), lidx);
const barrier: Kernel = {
  name: 'neighbours',
  buffers: [xs, ys],
  shared: [tile],
  workgroupSize: [4, 2, 1],
  grid: [2, 1, 1],
  body: [
    { k: 'shared_store', mem: 'tile', index: lidx, value: load(xs, gid) },
    { k: 'barrier' },
    { k: 'store', buffer: 'ys', index: gid, value: bin('+', sharedLoad(tile, mod(bin('+', lidx, u32(1)), u32(8))), cast('f32', builtin('global_id', 0))) },
  ],
};

const DRIVER = `#include <cuda_runtime.h>
#include <string.h>
${cudaSignature(semantics)};
${cudaSignature(barrier)};

static void print_float(float f) { unsigned int b; memcpy(&b, &f, 4); printf("%u\\n", b); }

int main() {
  unsigned int in_u[] = {${U.join('u, ')}u};
  int in_i[] = {${I.map((x) => (x === -2147483648 ? '-2147483647 - 1' : String(x))).join(', ')}};
  float in_f[] = {${F.map((x) => cudaLiteral('f32', x)).join(', ')}};
  unsigned int out_u[${outU.length}];
  int out_i[${outI.length}];
  float out_f[${outF.length}];
  const unsigned int* p0 = in_u; const int* p1 = in_i; const float* p2 = in_f;
  unsigned int* p3 = out_u; int* p4 = out_i; float* p5 = out_f;
  void* args[] = {&p0, &p1, &p2, &p3, &p4, &p5};
  if (cudaLaunchKernel(semantics, dim3(1), dim3(1), args, 0, 0) != cudaSuccess) return 1;
  for (unsigned int v : out_u) printf("%u\\n", v);
  for (int v : out_i) printf("%d\\n", v);
  for (float v : out_f) print_float(v);
  float xs[16], ys[16];
  for (int i = 0; i < 16; i++) xs[i] = (float)(i * i);
  const float* q0 = xs; float* q1 = ys;
  void* args2[] = {&q0, &q1};
  if (cudaLaunchKernel(neighbours, dim3(2), dim3(4, 2), args2, 0, 0) != cudaSuccess) return 1;
  for (float v : ys) print_float(v);
  return 0;
}
`;

test('rendered kernels compute what the kernel IR means (integers, conversions, literals, float4, barriers)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vitc-cuda-sem-'));
  try {
    writeFileSync(join(dir, 'kernels.cu'), renderCudaKernels([semantics, barrier], { file: 'kernels.cu', model: 'semantics test' }));
    writeFileSync(join(dir, 'driver.cpp'), DRIVER);
    const exe = await buildEmulated(dir, ['kernels.cu', 'driver.cpp'], 'driver');
    const r = await runCommand(exe, []);
    assert.equal(r.code, 0, r.output);
    const lines = r.output.trim().split('\n').map(Number);
    const bits = new Uint32Array(1);
    const asFloat = (b: number) => ((bits[0] = b), new Float32Array(bits.buffer)[0]!);
    let at = 0;
    unsignedCases.forEach(([, want], i) => assert.equal(lines[at++], want, `unsigned case ${i}`));
    signedCases.forEach(([, want], i) => assert.equal(lines[at++], want, `signed case ${i}`));
    floatCases.forEach(([, want], i) => {
      const got = asFloat(lines[at++]!);
      assert.ok(Object.is(got, want), `float case ${i}: ${got} vs ${want}`);
    });
    approxCases.forEach(([, want], i) => {
      const got = asFloat(lines[at++]!);
      assert.ok(Math.abs(got - want) <= 2e-7 * Math.max(1, Math.abs(want)), `approximate case ${i}: ${got} vs ${want}`);
    });
    for (let g = 0; g < 16; g++) {
      const block = Math.floor(g / 8);
      const neighbour = block * 8 + (((g % 8) + 1) % 8);
      // global_id.x = block * 4 + threadIdx.x, with threadIdx.x = local index % 4.
      const want = neighbour * neighbour + (block * 4 + (g % 8) % 4);
      assert.equal(asFloat(lines[at++]!), want, `barrier kernel, element ${g}`);
    }
    assert.equal(at, lines.length);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
