import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isOp } from '../../../ir/graph.js';
import { Const } from '../../../ir/ops/index.js';
import { verifyGraph } from '../../../ir/verify.js';
import { f32, type ModelSpec } from '../../helpers/onnx-build.js';
import { ortChecker, out, v } from './single-op.js';

const check = ortChecker();

test('names: inputs, outputs and initializers keep theirs, intermediates have none, nodes keep ONNX names', async () => {
  const spec: ModelSpec = {
    nodes: [
      { op: 'MatMul', inputs: ['x', 'layer.weight'], outputs: ['/mm_out'], name: '/layer/MatMul' },
      { op: 'Add', inputs: ['/mm_out', 'layer.bias'], outputs: ['/add_out'], name: '/layer/Add' },
      { op: 'Relu', inputs: ['/add_out'], outputs: ['logits'], name: '/act/Relu' },
    ],
    inputs: [v('x', [2, 3])],
    outputs: [out('logits')],
    initializers: [f32('layer.weight', [3, 4], new Array(12).fill(0.25)), f32('layer.bias', [4], [1, 2, 3, 4])],
  };
  const g = await check(spec);
  verifyGraph(g);
  assert.equal(g.inputs[0]!.name, 'x');
  assert.equal(g.outputs[0]!.name, 'logits');
  const consts = g.nodes.filter((n) => isOp(n, Const)).map((n) => n.outputs[0]!.name).sort();
  assert.deepEqual(consts, ['layer.bias', 'layer.weight']);
  const compute = g.nodes.filter((n) => !isOp(n, Const));
  assert.deepEqual(compute.map((n) => n.name), ['/layer/MatMul', '/layer/Add', '/act/Relu']);
  assert.deepEqual(compute.map((n) => n.outputs[0]!.name), [undefined, undefined, 'logits']);
  assert.match(compute[0]!.loc?.context ?? '', /node '\/layer\/MatMul' \(MatMul\)/);
});

test('graph outputs that are an input, an initializer, or the same value twice', async () => {
  const g = await check({
    nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['r'], name: 'relu' }],
    inputs: [v('x', [2, 3])],
    outputs: [out('r'), out('x'), out('w')],
    initializers: [f32('w', [2], [1, 2])],
  });
  verifyGraph(g);
  assert.deepEqual(g.outputs.map((o) => o.name), ['r', 'x', 'w']);
  // The input and the initializer are output as themselves: no second value with the same name.
  assert.equal(g.outputs[1], g.inputs[0]);
  assert.equal(g.nodes.filter((n) => n.outputs.some((o) => o.name === 'w')).length, 1);
});
