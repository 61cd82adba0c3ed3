import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { VitcError } from '../../../ir/errors.js';
import { importOnnx, importOnnxFile } from '../../../ir/onnx/import.js';
import { readOnnxBytes, readOnnxFile } from '../../../ir/onnx/read-model.js';
import { Tensor } from '../../../ir/tensor.js';
import { a, buildModel, encodeModel, f32, type ModelSpec, modelObject, scratchDir, singleNode, writeFile } from '../../helpers/onnx-build.js';
import { rng } from '../../helpers/random.js';
import { out, v } from './single-op.js';

const dir = scratchDir();
after(() => rmSync(dir, { recursive: true, force: true }));

/** Asserts `f` fails with a one-line VitcError matching `re` (no protobuf or JS error leaking through). */
function rejects(f: () => unknown, re: RegExp): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof VitcError, `expected a VitcError, got ${(e as Error)?.stack ?? e}`);
    assert.ok(!e.message.includes('\n'), `message is not one line: ${e.message}`);
    assert.match(e.message, re);
    return true;
  });
}

/** Decode and import; the only acceptable failure is a VitcError. */
function importBytes(bytes: Uint8Array, file = 'model.onnx') {
  return importOnnx(readOnnxBytes(bytes, { file, dir }));
}

const addModel: ModelSpec = singleNode('Add', [v('x', [2, 3])], [out('y')], { initializers: [f32('b', [3], [1, 2, 3])] });

test('truncated bytes fail cleanly at every cut point', () => {
  const bytes = buildModel(addModel);
  let failures = 0;
  for (let cut = 0; cut < bytes.length; cut++) {
    try {
      importBytes(bytes.subarray(0, cut));
    } catch (e) {
      assert.ok(e instanceof VitcError, `cut at ${cut}: ${(e as Error).stack}`);
      assert.ok(!e.message.includes('\n'));
      failures++;
    }
  }
  assert.ok(failures > bytes.length / 2, `only ${failures} of ${bytes.length} truncations failed`);
  rejects(() => importBytes(bytes.subarray(0, bytes.length - 5), 'cut.onnx'), /^cut\.onnx: /);
});

test('random bytes fail cleanly', () => {
  for (let seed = 1; seed <= 300; seed++) {
    const rnd = rng(seed);
    const bytes = Uint8Array.from({ length: 1 + Math.floor(rnd() * 400) }, () => Math.floor(rnd() * 256));
    assert.throws(() => importBytes(bytes), (e: unknown) => e instanceof VitcError && !e.message.includes('\n'), `seed ${seed}`);
  }
});

test('files of other kinds are recognised as not ONNX', () => {
  const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 7)]);
  rejects(() => readOnnxBytes(png, { file: 'cat.png' }), /^cat\.png: not an ONNX model.*PNG/);
  const header = Buffer.from(JSON.stringify({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(header.length));
  const st = Buffer.concat([len, header, Buffer.alloc(8)]);
  rejects(() => readOnnxBytes(st, { file: 'w.safetensors' }), /not an ONNX model.*safetensors/);
  rejects(() => readOnnxBytes(Buffer.from('graph main {\n  %x = add(%a, %b)\n}\n'), { file: 'm.vir' }), /not an ONNX model/);
  rejects(() => readOnnxBytes(new Uint8Array(0), { file: 'empty.onnx' }), /not an ONNX model.*empty/);
});

test('a model without graph, opset_import or ir_version is named as such', () => {
  const m = modelObject(addModel);
  rejects(() => readOnnxBytes(encodeModel({ ...m, graph: undefined })), /no graph/);
  rejects(() => readOnnxBytes(encodeModel({ ...m, opsetImport: [] })), /no opset_import/);
  rejects(() => readOnnxBytes(encodeModel({ ...m, irVersion: undefined })), /no ir_version/);
});

test('unsupported IR versions and opsets 12 and 19 are rejected, naming the version', () => {
  rejects(() => readOnnxBytes(buildModel({ ...addModel, irVersion: 3 })), /unsupported ONNX IR version 3/);
  rejects(() => readOnnxBytes(buildModel({ ...addModel, irVersion: 11 })), /unsupported ONNX IR version 11/);
  rejects(() => readOnnxBytes(buildModel({ ...addModel, opset: 12 })), /opset 12 of the default ONNX domain is not supported \(vitc supports opsets 13 to 18\)/);
  rejects(() => readOnnxBytes(buildModel({ ...addModel, opset: 19 })), /opset 19 of the default ONNX domain is not supported/);
  for (const opset of [13, 18]) assert.equal(readOnnxBytes(buildModel({ ...addModel, opset })).opset, opset);
});

test('nodes from other operator domains are rejected', () => {
  const spec: ModelSpec = {
    ...addModel,
    nodes: [{ op: 'FusedGemm', domain: 'com.microsoft', inputs: ['x', 'b'], outputs: ['y'], name: 'fg' }],
    extraOpsets: [{ domain: 'com.microsoft', version: 1 }],
  };
  rejects(() => readOnnxBytes(buildModel(spec), { file: 'ms.onnx' }), /ms\.onnx: node 'fg' \(FusedGemm\): operator domain 'com\.microsoft'/);
});

test('a missing initializer names the node and the value', () => {
  const spec = singleNode('MatMul', [v('x', [2, 3])], [out('y')], { nodeInputs: ['x', 'w'] });
  rejects(() => importBytes(buildModel(spec), 'mi.onnx'), /mi\.onnx: node 'matmul' \(MatMul\): input 'w' is not defined/);
});

test('a cyclic graph names a node on the cycle', () => {
  const spec: ModelSpec = {
    nodes: [
      { op: 'Add', inputs: ['x', 'c'], outputs: ['a'], name: 'first' },
      { op: 'Relu', inputs: ['a'], outputs: ['c'], name: 'second' },
    ],
    inputs: [v('x', [2])],
    outputs: [out('c')],
  };
  rejects(() => importBytes(buildModel(spec)), /node '(first|second)' \((Add|Relu)\): the graph has a cycle/);
});

test('nodes out of topological order are accepted and reordered', () => {
  const spec: ModelSpec = {
    nodes: [
      { op: 'Relu', inputs: ['a'], outputs: ['y'], name: 'second' },
      { op: 'Neg', inputs: ['x'], outputs: ['a'], name: 'first' },
    ],
    inputs: [v('x', [2])],
    outputs: [out('y')],
  };
  assert.deepEqual(importBytes(buildModel(spec)).nodes.map((n) => n.name), ['first', 'second']);
});

test('a value defined twice is rejected', () => {
  const spec: ModelSpec = {
    nodes: [
      { op: 'Neg', inputs: ['x'], outputs: ['y'], name: 'n1' },
      { op: 'Relu', inputs: ['x'], outputs: ['y'], name: 'n2' },
    ],
    inputs: [v('x', [2])],
    outputs: [out('y')],
  };
  rejects(() => importBytes(buildModel(spec)), /node 'n2' \(Relu\): value 'y' is defined more than once/);
});

test('graph input dims: negative, missing, a second symbol', () => {
  rejects(() => importBytes(buildModel(singleNode('Relu', [v('x', [2, -3])], [out('y')]))), /graph input 'x': dimension 1 is negative \(-3\)/);
  const noDim = modelObject(singleNode('Relu', [v('x', [2, 3])], [out('y')]));
  noDim.graph!.input![0]!.type!.tensorType!.shape!.dim![1] = {};
  rejects(() => importBytes(encodeModel(noDim)), /graph input 'x': dimension 1 has no size/);
  rejects(
    () => importBytes(buildModel(singleNode('Add', [v('x', ['batch', 3]), v('z', ['seq', 3])], [out('y')]))),
    /graph input 'z': dimension 0 is 'seq', a second symbolic size \(vitc supports one; 'batch' is already N\)/,
  );
  rejects(() => importBytes(buildModel(singleNode('Relu', [{ name: 'x', dtype: 'f32' }], [out('y')]))), /graph input 'x': no shape/);
});

test('unsupported ops name the op, the node and the opset', () => {
  const spec = { ...singleNode('LpNormalization', [v('x', [2, 3])], [out('y')]), opset: 17 };
  rejects(() => importBytes(buildModel(spec), 'u.onnx'), /^u\.onnx: unsupported op 'LpNormalization' \(node 'lpnormalization', opset 17\)$/);
});

test('unknown attributes and run-time shape inputs fail clearly', () => {
  rejects(() => importBytes(buildModel(singleNode('Relu', [v('x', [2])], [out('y')], { attrs: { fancy: a.int(1) } }))), /node 'relu' \(Relu\): attribute 'fancy' of Relu is not supported/);
  rejects(
    () => importBytes(buildModel(singleNode('Reshape', [v('x', [2, 3]), v('s', [2], 'i64')], [out('y')]))),
    /node 'reshape' \(Reshape\): input 'shape' is computed at run time/,
  );
});

test('external data: relative file works; "..", absolute paths, missing files and out-of-range bytes fail', () => {
  const w = Tensor.f32([3], [1, 2, 3]);
  const model = (location: string, offset?: number, length?: number) =>
    buildModel({ ...addModel, initializers: [{ name: 'b', tensor: w, external: { location, offset, length } }] });
  const sub = join(dir, 'ext');
  writeFile(sub, 'weights.bin', Buffer.concat([Buffer.alloc(4), Buffer.from(w.toBytes())]));
  writeFileSync(join(dir, 'outside.bin'), w.toBytes());

  const ok = importOnnxFile(writeFile(sub, 'ok.onnx', model('weights.bin', 4, 12)));
  assert.equal(ok.nodes.length, 2);
  rejects(() => readOnnxFile(writeFile(sub, 'up.onnx', model('../outside.bin'))), /up\.onnx: external data of tensor 'b': path '\.\.\/outside\.bin' points outside the model's folder/);
  rejects(() => readOnnxFile(writeFile(sub, 'abs.onnx', model(join(dir, 'outside.bin')))), /abs\.onnx: external data of tensor 'b': absolute path .* is not allowed/);
  rejects(() => readOnnxFile(writeFile(sub, 'miss.onnx', model('nothere.bin'))), /external data of tensor 'b': file 'nothere\.bin' not found/);
  rejects(() => readOnnxFile(writeFile(sub, 'oob.onnx', model('weights.bin', 8, 12))), /external data of tensor 'b': bytes 8\.\.20 are beyond the end of 'weights\.bin' \(16 bytes\)/);
  rejects(() => readOnnxFile(writeFile(sub, 'oob2.onnx', model('weights.bin', 40))), /offset 40 is beyond the end/);
  rejects(() => importOnnxFile(writeFile(sub, 'short.onnx', model('weights.bin', 8))), /tensor 'b'.*needs 12 bytes, got 8/);
  rejects(() => readOnnxBytes(model('weights.bin')), /tensor 'b' uses external data, but the model was not read from a file/);
});

test('a missing file is a clean error', () => {
  rejects(() => readOnnxFile(join(dir, 'nope.onnx')), /nope\.onnx: no such file/);
});

test('a graph output nobody produces is rejected', () => {
  const spec = { ...addModel, outputs: [out('y'), out('zz')] };
  rejects(() => importBytes(buildModel(spec)), /graph output 'zz' is not produced by any node/);
});

test('initializers with bad data are rejected', () => {
  const m = modelObject(addModel);
  m.graph!.initializer![0] = { name: 'b', dims: [3], dataType: 1, floatData: [1, 2] };
  rejects(() => importBytes(encodeModel(m)), /tensor 'b' has 2 values, its shape \[3\] needs 3/);
  m.graph!.initializer![0] = { name: 'b', dims: [3], dataType: 11, rawData: new Uint8Array(24) };
  rejects(() => importBytes(encodeModel(m)), /tensor 'b' has element type DOUBLE, which vitc does not support/);
  m.graph!.initializer![0] = { name: 'b', dims: [3], dataType: 1, floatData: [1, 2, 3] };
  assert.equal(importBytes(encodeModel(m)).nodes.length, 2);
  m.graph!.initializer![0] = { name: 'b', dims: [3], dataType: 7, int64Data: [1, -2, 3] };
  // An int64 bias for a float input: a type error, reported at the node.
  rejects(() => importBytes(encodeModel(m)), /node 'add' \(Add\).*different element types/);
});
