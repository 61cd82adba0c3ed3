import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { GraphBuilder } from '../../../ir/builder.js';
import { VitcError } from '../../../ir/errors.js';
import type { Graph } from '../../../ir/graph.js';
import { MatMul } from '../../../ir/ops/index.js';
import { decodeSafetensors } from '../../../ir/safetensors.js';
import { Tensor } from '../../../ir/tensor.js';
import { printGraph, readVir, writeVir } from '../../../ir/text/index.js';
import { tensorType } from '../../../ir/types.js';
import { assertGraphsEquivalent } from './compare-graphs.js';

function withTempDir(f: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'vitc-vir-'));
  try {
    f(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function modelWithWeights(): Graph {
  const b = new GraphBuilder('mlp');
  const x = b.input('x', tensorType('f32', ['N', 8]));
  const w = b.constant(Tensor.f32([8, 4], Array.from({ length: 32 }, (_, i) => i / 7 - 2)), 'fc.weight');
  b.output(b.add1(MatMul, [x, w], {}), 'y');
  return b.build();
}

test('writeVir puts x.vir and x.safetensors side by side and readVir reads them back', () => {
  withTempDir((dir) => {
    const g = modelWithWeights();
    const path = join(dir, 'model.vir');
    writeVir(path, g);
    assert.deepEqual(readdirSync(dir).sort(), ['model.safetensors', 'model.vir']);
    const text = readFileSync(path, 'utf8');
    assert.ok(text.startsWith('graph @mlp(%x: f32[N,8]) weights "model.safetensors" {\n'), text);
    assert.ok(text.includes('%fc.weight = const @"fc.weight" : f32[8,4]'), text);
    const stored = decodeSafetensors(readFileSync(join(dir, 'model.safetensors')), 'model.safetensors');
    assert.deepEqual([...stored.tensors.keys()], ['fc.weight']);
    const back = readVir(path);
    assertGraphsEquivalent(g, back);
    assert.equal(printGraph(back, { weightsFile: 'model.safetensors' }).text, text);
  });
});

test('a graph without large tensors needs no weights file', () => {
  withTempDir((dir) => {
    const b = new GraphBuilder('tiny');
    b.output(b.constant(Tensor.f32([2], [1, 2]), 'c'));
    writeVir(join(dir, 'tiny.vir'), b.build());
    assert.deepEqual(readdirSync(dir), ['tiny.vir']);
    assert.ok(!readFileSync(join(dir, 'tiny.vir'), 'utf8').includes('weights'));
  });
});

test('a failed write leaves the previous files and no temporaries behind', () => {
  withTempDir((dir) => {
    const path = join(dir, 'model.vir');
    writeFileSync(path, 'old text');
    mkdirSync(join(dir, 'model.safetensors')); // renaming a file onto a folder fails
    assert.throws(() => writeVir(path, modelWithWeights()), (e: unknown) => e instanceof VitcError && e.message.startsWith(`${path}: cannot write text IR: `));
    assert.equal(readFileSync(path, 'utf8'), 'old text');
    assert.deepEqual(readdirSync(dir).sort(), ['model.safetensors', 'model.vir']);
  });
  assert.throws(() => writeVir('/nonexistent/dir/m.vir', modelWithWeights()), (e: unknown) => e instanceof VitcError && /^\/nonexistent\/dir\/m\.vir: cannot write text IR: ENOENT/.test(e.message));
});

test('readVir reports problems with the weights file and its path', () => {
  withTempDir((dir) => {
    const path = join(dir, 'model.vir');
    writeVir(path, modelWithWeights());
    writeFileSync(join(dir, 'model.safetensors'), new Uint8Array(4));
    assert.throws(() => readVir(path), (e: unknown) => e instanceof VitcError && e.message === `${join(dir, 'model.safetensors')}: invalid safetensors file: 4 bytes is too short for the 8-byte header length`);
    rmSync(join(dir, 'model.safetensors'));
    assert.throws(() => readVir(path), (e: unknown) => e instanceof VitcError && e.message === `${join(dir, 'model.safetensors')}: cannot read weights file: ENOENT`);
    const escaping = join(dir, 'escape.vir');
    writeFileSync(escaping, 'graph @g() weights "../../secret.safetensors" {\n  %w = const @"w" : f32[20]\n  return %w\n}\n');
    assert.throws(() => readVir(escaping), (e: unknown) => e instanceof VitcError && e.message === `${escaping}:1:20: the weights path "../../secret.safetensors" leads outside the .vir file's folder`);
    assert.throws(() => readVir(join(dir, 'missing.vir')), (e: unknown) => e instanceof VitcError && e.message === `${join(dir, 'missing.vir')}: cannot read text IR file: ENOENT`);
  });
});

test('weights files in a subfolder are found relative to the .vir file', () => {
  withTempDir((dir) => {
    mkdirSync(join(dir, 'sub'));
    writeVir(join(dir, 'sub', 'model.vir'), modelWithWeights());
    const text = readFileSync(join(dir, 'sub', 'model.vir'), 'utf8').replace('weights "model.safetensors"', 'weights "sub/model.safetensors"');
    writeFileSync(join(dir, 'top.vir'), text);
    assertGraphsEquivalent(modelWithWeights(), readVir(join(dir, 'top.vir')));
  });
});
