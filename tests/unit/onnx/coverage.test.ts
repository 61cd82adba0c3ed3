import assert from 'node:assert/strict';
import { test } from 'node:test';
import { coverageReport, formatCoverage } from '../../../ir/onnx/coverage.js';
import { readOnnxBytes } from '../../../ir/onnx/read-model.js';
import { a, buildModel, f32, i64, type ModelSpec } from '../../helpers/onnx-build.js';
import { out, v } from './single-op.js';

const model: ModelSpec = {
  nodes: [
    { op: 'Shape', inputs: ['x'], outputs: ['s'], name: 'shape' },
    { op: 'Reshape', inputs: ['x', 's'], outputs: ['x2'], name: 'reshape' },
    { op: 'Gemm', inputs: ['x2', 'w', 'c'], outputs: ['g'], name: 'gemm', attrs: { transB: a.int(1) } },
    { op: 'LpNormalization', inputs: ['g'], outputs: ['l'], name: 'lp' },
    { op: 'Relu', inputs: ['l'], outputs: ['r'], name: 'relu' },
    { op: 'Foo', inputs: ['g'], outputs: ['f'], name: 'foo' },
    { op: 'LpNormalization', inputs: ['g'], outputs: ['l2'], name: 'lp2' },
    { op: 'Transpose', inputs: ['g'], outputs: ['t'], name: 'bad', attrs: { perm: a.ints([0, 0]) } },
    { op: 'Neg', inputs: ['g'], outputs: ['unused'], name: 'dead' },
    { op: 'Sigmoid', inputs: ['g'], outputs: ['y'], name: 'sig' },
  ],
  inputs: [v('x', [2, 3])],
  outputs: [out('y'), out('r'), out('f'), out('l2'), out('t')],
  initializers: [f32('w', [4, 3], new Array(12).fill(0.5)), f32('c', [4], [1, 2, 3, 4]), i64('unusedInit', [1])],
};

test('coverage lists every unsupported op and how each op was handled', () => {
  const rep = coverageReport(readOnnxBytes(buildModel(model), { file: 'cov.onnx' }));
  assert.equal(rep.ok, false);
  assert.deepEqual(rep.unsupported, ['Foo', 'LpNormalization']);
  const by = new Map(rep.ops.map((o) => [o.opType, o]));
  assert.equal(by.get('LpNormalization')!.count, 2);
  assert.equal(by.get('LpNormalization')!.supported, false);
  assert.deepEqual([...by.get('Shape')!.handling], [['folded into constants', 1]]);
  assert.deepEqual([...by.get('Gemm')!.handling], [['converted to matmul, add', 1]]);
  assert.deepEqual([...by.get('Relu')!.handling], [['not converted (depends on an unsupported or failed node)', 1]]);
  assert.deepEqual([...by.get('Transpose')!.handling], [['failed', 1]]);
  assert.match(by.get('Transpose')!.errors[0]!, /node 'bad'/);
  const text = formatCoverage(rep);
  assert.match(text, /unsupported op types: Foo, LpNormalization/);
  assert.match(text, /Gemm\s+1\s+converted to matmul, add/);
  assert.match(text, /does not import completely/);
});

test('coverage of a fully supported model: recognised, dropped and converted ops', () => {
  const spec: ModelSpec = {
    nodes: [
      { op: 'ReduceMean', inputs: ['x'], outputs: ['mean'], attrs: { axes: a.ints([-1]) } },
      { op: 'Sub', inputs: ['x', 'mean'], outputs: ['d'] },
      { op: 'Pow', inputs: ['d', 'two'], outputs: ['sq'] },
      { op: 'ReduceMean', inputs: ['sq'], outputs: ['var'], attrs: { axes: a.ints([-1]) } },
      { op: 'Add', inputs: ['var', 'eps'], outputs: ['ve'] },
      { op: 'Sqrt', inputs: ['ve'], outputs: ['sd'] },
      { op: 'Div', inputs: ['d', 'sd'], outputs: ['y0'] },
      { op: 'Neg', inputs: ['x'], outputs: ['dead'] },
      { op: 'Relu', inputs: ['y0'], outputs: ['y'] },
    ],
    inputs: [v('x', [2, 4])],
    outputs: [out('y')],
    opset: 13,
    initializers: [f32('two', [], [2]), f32('eps', [], [1e-5])],
  };
  const rep = coverageReport(readOnnxBytes(buildModel(spec), { file: 'ln.onnx' }));
  assert.equal(rep.ok, true);
  assert.deepEqual(rep.unsupported, []);
  const by = new Map(rep.ops.map((o) => [o.opType, o]));
  assert.deepEqual([...by.get('ReduceMean')!.handling], [['recognised into layer_norm', 2]]);
  assert.deepEqual([...by.get('Neg')!.handling], [['dropped (unused)', 1]]);
  assert.deepEqual([...by.get('Relu')!.handling], [['converted to relu', 1]]);
  assert.match(formatCoverage(rep), /the model imports completely/);
});
