import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { kernelKey } from '../../../codegen/cuda/emit.js';
import { f32, u32 } from '../../../codegen/kernel-ir/build.js';
import type { Kernel } from '../../../codegen/kernel-ir/types.js';
import { compileCuda, type CudaCompileResult, writeCudaArtifact } from '../../../compiler/compile-cuda.js';
import { importOnnxFile } from '../../../ir/onnx/import.js';
import { FIXTURES } from '../../helpers/paths.js';

const vit = () => compileCuda(importOnnxFile(join(FIXTURES, 'vit_op17_b2.onnx')), { batch: 2 });

const FIXTURE_MODELS: readonly [string, number][] = [
  ['vit_op17_b2.onnx', 2],
  ['vit_op13_dyn.onnx', 3],
  ['mnist_vit.onnx', 1],
  ['swin_op13_b2.onnx', 2],
  ['swinv2_op17_b1.onnx', 1],
  ['maxvit_op17_b1.onnx', 1],
];

test('identical encoder blocks share kernels; every launch matches its kernel', () => {
  for (const [file, batch] of FIXTURE_MODELS) checkLaunches(file, compileCuda(importOnnxFile(join(FIXTURES, file)), { batch }));
});

function checkLaunches(file: string, c: CudaCompileResult): void {
  const byName = new Map(c.kernels.map((k) => [k.name, k]));
  assert.equal(byName.size, c.kernels.length, 'kernel names are distinct');
  assert.ok(c.kernels.length < c.launches.length, `${file}: ${c.kernels.length} kernels for ${c.launches.length} launches: repeated blocks should share`);
  const cu = c.files.get('kernels.cu') as string;
  const launcher = c.files.get('launcher.cu') as string;
  for (const k of c.kernels) {
    assert.equal(cu.split(` ${k.name}(`).length - 1, 1, `${k.name} is defined once in kernels.cu`);
    assert.ok(launcher.includes(` ${k.name}(`), `${k.name} is declared in launcher.cu`);
  }
  const regions = { weights: c.memory.weightsBytes, arena: c.memory.arenaBytes, io: c.memory.ioBytes };
  for (const l of c.launches) {
    const k = byName.get(l.kernel)!;
    assert.ok(k, `launch of unknown kernel ${l.kernel}`);
    assert.deepEqual(l.block, k.workgroupSize);
    assert.deepEqual(l.grid, k.grid);
    assert.equal(l.args.length, k.buffers.length, `${file}, ${l.label}: one argument per parameter`);
    l.args.forEach((a, i) => {
      const b = k.buffers[i]!;
      // What the kernel may touch lies inside the slice, and the slice inside its allocation.
      assert.ok(b.length * b.vec * 4 <= a.size, `${file}, ${l.label}: ${b.name} addresses ${b.length * b.vec * 4} bytes of a ${a.size}-byte slice`);
      assert.ok(a.offset % 256 === 0 && a.offset + a.size <= regions[a.region], `${file}, ${l.label}: ${b.name} at ${a.region}+${a.offset}`);
      assert.equal(a.type, `${b.access === 'read' ? 'const ' : ''}${b.vec === 4 ? 'float4' : b.elem === 'i32' ? 'int' : 'float'}*`);
    });
    // Parameters are __restrict__: a range written through one must not be reachable through another.
    l.args.forEach((a, i) =>
      l.args.forEach((b, j) => {
        if (i >= j || (k.buffers[i]!.access === 'read' && k.buffers[j]!.access === 'read')) return;
        const overlap = a.region === b.region && a.offset < b.offset + b.size && b.offset < a.offset + a.size;
        assert.ok(!overlap, `${file}, ${l.label}: ${k.buffers[i]!.name} and ${k.buffers[j]!.name} overlap`);
      }),
    );
  }
}

test('weights.bin holds every weight at its offset; manifest describes inputs, outputs and files', () => {
  const c = vit();
  const image = c.files.get('weights.bin') as Uint8Array;
  assert.equal(image.byteLength, c.memory.weightsBytes);
  const weights = c.kernelPlan.buffers.filter((b) => b.kind === 'weight');
  assert.equal(c.weights.length, weights.length);
  for (const b of weights) {
    const o = c.memory.offsets.get(b)!;
    const want = b.data!.toBytes();
    assert.deepEqual(image.subarray(o.offset, o.offset + want.byteLength), want, `weight ${b.name ?? b.id}`);
  }
  const manifest = JSON.parse(c.files.get('manifest.json') as string);
  assert.equal(manifest.format, 'vitc-cuda-artifact/1');
  assert.deepEqual(manifest.inputs.map((x: { name: string; shape: number[] }) => [x.name, x.shape]), [['x', [2, 3, 32, 32]]]);
  assert.deepEqual(manifest.outputs.map((x: { name: string; shape: number[]; bytes: number }) => [x.name, x.shape, x.bytes]), [['logits', [2, 10], 80]]);
  for (const [name, hash] of Object.entries(manifest.files)) assert.equal(hash, createHash('sha256').update(c.files.get(name)!).digest('hex'), `hash of ${name}`);
  assert.equal(manifest.launches.length, c.launches.length);
  const header = c.files.get('vitc_model.h') as string;
  assert.match(header, /int vitc_model_run\(vitc_model\* model, const float\* x, float\* logits\);/);
  assert.match(header, /#define VITC_INPUT0_ELEMENTS 6144ull/);
});

test('compiling twice gives identical files; writeCudaArtifact writes them all', () => {
  const a = vit();
  const b = vit();
  assert.deepEqual([...a.files.keys()], [...b.files.keys()]);
  for (const [name, content] of a.files) assert.deepEqual(b.files.get(name), content, name);
  const dir = mkdtempSync(join(tmpdir(), 'vitc-cuda-artifact-'));
  try {
    writeCudaArtifact(join(dir, 'out'), a);
    assert.deepEqual(readdirSync(join(dir, 'out')).sort(), [...a.files.keys()].sort());
    assert.deepEqual(new Uint8Array(readFileSync(join(dir, 'out', 'weights.bin'))), a.files.get('weights.bin'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('kernel identity distinguishes every literal, including -0, infinities and NaN', () => {
  const k = (value: number): Kernel => ({
    name: 'k',
    buffers: [{ name: 'out0', access: 'read_write', elem: 'f32', vec: 1, length: 1 }],
    shared: [],
    workgroupSize: [1, 1, 1],
    grid: [1, 1, 1],
    body: [{ k: 'store', buffer: 'out0', index: u32(0), value: f32(value) }],
  });
  const keys = [0, -0, Infinity, -Infinity, NaN, 1].map((v) => kernelKey(k(v)));
  assert.equal(new Set(keys).size, keys.length, keys.join(' '));
  assert.equal(kernelKey({ ...k(1), name: 'other' }), kernelKey(k(1)), 'the name is not part of the identity');
});
