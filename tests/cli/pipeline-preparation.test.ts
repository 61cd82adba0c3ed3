import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runPipeline } from '../../compiler/pass-manager.js';
import { parsePipeline } from '../../compiler/pipeline.js';
import { PREPARATION_PIPELINE } from '../../compiler/preparation-pipeline.js';
import { importOnnxFile } from '../../ir/onnx/index.js';
import { Tensor } from '../../ir/tensor.js';
import { readNpy, writeNpy } from '../../runtime/npy.js';
import { runReference } from '../../runtime/reference/interpreter.js';
import { FIXTURES } from '../helpers/paths.js';
import { Rng } from '../helpers/prng.js';
import { scratchDir, vitc, vitcLines } from './vitc-process.js';

const dir = scratchDir();
after(() => rmSync(dir, { recursive: true, force: true }));

test('run --pipeline tome{r=2} prepares the graph first (attention fused) and says so; opt does not', async () => {
  const model = join(FIXTURES, 'mnist_vit.onnx');
  const graph = importOnnxFile(model);
  const input = graph.inputs[0]!;
  const shape = input.type.shape.map((d) => (typeof d === 'number' ? d : 2));
  const rng = new Rng(11);
  const x = new Tensor('f32', shape, Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.float(0, 1)));
  writeFileSync(join(dir, 'x.npy'), writeNpy(x));

  const ran = await vitc('run', model, '--pipeline', 'tome{r=2}', '-i', join(dir, 'x.npy'), '--output-dir', join(dir, 'out'));
  assert.equal(ran.code, 0, ran.stderr);
  assert.match(ran.stderr, new RegExp(`remark: ran ${PREPARATION_PIPELINE} first`));
  const expectedGraph = runPipeline(graph, parsePipeline(`${PREPARATION_PIPELINE},tome{r=2}`)).graph;
  const expected = runReference(expectedGraph, new Map([[input.name!, x]]));
  const [name, want] = [...expected][0]!;
  const got = readNpy(readFileSync(join(dir, 'out', `${name}.npy`)), name);
  assert.deepEqual([...got.data], [...want.data]);

  const opt = await vitc('opt', model, '-p', 'tome{r=2}', '-o', join(dir, 'o.vir'));
  assert.equal(opt.code, 2);
  assert.match(vitcLines(opt.stderr).join('\n'), /requires 'attention-fused'/);
});
