import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isOp } from '../../../ir/graph.js';
import { LayerNorm } from '../../../ir/ops/index.js';
import { a, f32, type ModelSpec, type NodeSpec } from '../../helpers/onnx-build.js';
import { opCounts, ortChecker, out, v } from './single-op.js';

const check = ortChecker();
const s = (name: string, value: number) => f32(name, [], [value]);

/** Keeps only the initializers some node reads (onnxruntime warns about the others). */
function used(spec: ModelSpec): ModelSpec {
  const names = new Set(spec.nodes.flatMap((n) => n.inputs));
  return { ...spec, initializers: spec.initializers?.filter((i) => names.has(i.name)) };
}

/** LayerNorm as torch exports it at opset 13 (ReduceMean/Sub/Pow/ReduceMean/Add/Sqrt/Div/Mul/Add). */
function decomposedLayerNorm(opts: { square?: 'pow' | 'mul'; affine?: 'both' | 'scale' | 'none'; axes?: number[]; extraUse?: boolean } = {}): ModelSpec {
  const axes = opts.axes ?? [-1];
  const nodes: NodeSpec[] = [
    { op: 'ReduceMean', inputs: ['x'], outputs: ['mean'], attrs: { axes: a.ints(axes) } },
    { op: 'Sub', inputs: ['x', 'mean'], outputs: ['d'] },
    opts.square === 'mul' ? { op: 'Mul', inputs: ['d', 'd'], outputs: ['sq'] } : { op: 'Pow', inputs: ['d', 'two'], outputs: ['sq'] },
    { op: 'ReduceMean', inputs: ['sq'], outputs: ['var'], attrs: { axes: a.ints(axes) } },
    { op: 'Add', inputs: ['var', 'eps'], outputs: ['ve'] },
    { op: 'Sqrt', inputs: ['ve'], outputs: ['sd'] },
    { op: 'Div', inputs: ['d', 'sd'], outputs: ['n'] },
  ];
  const affine = opts.affine ?? 'both';
  if (affine !== 'none') nodes.push({ op: 'Mul', inputs: ['n', 'w'], outputs: affine === 'both' ? ['m'] : ['y'] });
  if (affine === 'both') nodes.push({ op: 'Add', inputs: ['m', 'b'], outputs: ['y'] });
  if (affine === 'none') nodes.push({ op: 'Identity', inputs: ['n'], outputs: ['y'] });
  const outputs = [out('y')];
  if (opts.extraUse) {
    nodes.push({ op: 'Neg', inputs: ['mean'], outputs: ['nm'] });
    outputs.push(out('nm'));
  }
  const trail = axes.length === 2 ? [3, 4] : [4];
  return used({
    nodes,
    inputs: [v('x', [2, 3, 4])],
    outputs,
    opset: 13,
    initializers: [s('two', 2), s('eps', 1e-5), f32('w', trail, Array.from({ length: trail.reduce((p, q) => p * q) }, (_, i) => 1 + i / 10)), f32('b', trail, Array.from({ length: trail.reduce((p, q) => p * q) }, (_, i) => i / 7 - 0.5))],
  });
}

test('decomposed LayerNorm becomes one layer_norm with its epsilon and weights', async () => {
  const g = await check(decomposedLayerNorm());
  assert.deepEqual(opCounts(g), { layer_norm: 1, const: 2 });
  const ln = g.nodes.find((n) => isOp(n, LayerNorm))!;
  assert.ok(isOp(ln, LayerNorm));
  assert.equal(ln.attrs.axis, 2);
  assert.ok(Math.abs(ln.attrs.epsilon - 1e-5) < 1e-12);
  assert.equal(g.outputs[0]!.name, 'y');
});

test('LayerNorm variants: Mul(d, d), scale only, no affine, two trailing axes', async () => {
  assert.equal(opCounts(await check(decomposedLayerNorm({ square: 'mul' }))).layer_norm, 1);
  assert.equal(opCounts(await check(decomposedLayerNorm({ affine: 'scale' }))).layer_norm, 1);
  const g = await check(decomposedLayerNorm({ affine: 'none' }));
  assert.equal(opCounts(g).layer_norm, 1);
  const g2 = await check(decomposedLayerNorm({ axes: [1, 2] }));
  assert.equal(opCounts(g2).layer_norm, 1);
  assert.equal(g2.nodes.find((n) => isOp(n, LayerNorm))!.attrs.axis, 1);
});

test('LayerNorm is not recognised when an inner value is used elsewhere, or when disabled', async () => {
  const g = await check(decomposedLayerNorm({ extraUse: true }));
  assert.equal(opCounts(g).layer_norm, undefined);
  assert.equal(opCounts(g).reduce_mean, 2);
  const g2 = await check(decomposedLayerNorm(), { recognize: false });
  assert.equal(opCounts(g2).layer_norm, undefined);
});

test('LayerNorm over a non-trailing axis is left alone', async () => {
  const g = await check(decomposedLayerNorm({ axes: [1], affine: 'none' }));
  assert.equal(opCounts(g).layer_norm, undefined);
});

/** erf-GELU in the orders torch emits. */
function gelu(form: 'div' | 'mul-half-first' | 'half-outer-left', extraUse = false): ModelSpec {
  const scaled: NodeSpec = form === 'div' ? { op: 'Div', inputs: ['x', 'sqrt2'], outputs: ['xs'] } : { op: 'Mul', inputs: ['inv', 'x'], outputs: ['xs'] };
  const tail: NodeSpec[] =
    form === 'div'
      ? [{ op: 'Mul', inputs: ['x', 'h'], outputs: ['xh'] }, { op: 'Mul', inputs: ['xh', 'half'], outputs: ['y'] }]
      : form === 'mul-half-first'
        ? [{ op: 'Mul', inputs: ['x', 'half'], outputs: ['xh'] }, { op: 'Mul', inputs: ['xh', 'h'], outputs: ['y'] }]
        : [{ op: 'Mul', inputs: ['h', 'x'], outputs: ['xh'] }, { op: 'Mul', inputs: ['half', 'xh'], outputs: ['y'] }];
  return used({
    nodes: [scaled, { op: 'Erf', inputs: ['xs'], outputs: ['e'] }, { op: 'Add', inputs: form === 'div' ? ['e', 'one'] : ['one', 'e'], outputs: ['h'] }, ...tail],
    inputs: [v('x', [3, 5])],
    outputs: extraUse ? [out('y'), out('e')] : [out('y')],
    opset: 13,
    initializers: [s('sqrt2', 1.4142135381698608), s('inv', 0.7071067690849304), s('one', 1), s('half', 0.5)],
  });
}

test('erf-GELU becomes one gelu in each form torch emits', async () => {
  for (const form of ['div', 'mul-half-first', 'half-outer-left'] as const) assert.deepEqual(opCounts(await check(gelu(form))), { gelu: 1 }, form);
});

test('erf-GELU is not recognised when the erf result is also an output', async () => {
  const g = await check(gelu('div', true));
  assert.equal(opCounts(g).gelu, undefined);
  assert.equal(opCounts(g).erf, 1);
});
