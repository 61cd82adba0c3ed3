import { CheckFailed, VitcError } from '../../../ir/errors.js';
import type { Tensor } from '../../../ir/tensor.js';
import { compareTensors, type Difference } from '../../../runtime/compare.js';
import { openOrt } from '../../../runtime/ort-reference.js';
import { applyPipeline } from '../apply-pipeline.js';
import type { CommandIo } from '../io.js';
import { loadGraph, modelKind } from '../load-model.js';
import { randomInputs } from '../random-inputs.js';
import { type ModelRunner, referenceRunner } from '../runners.js';
import { checkTarget, RUN_TARGETS } from '../targets.js';
import { chooseBatch, graphInputs } from '../tensor-specs.js';

export interface VerifyOptions {
  readonly target: string;
  readonly adapter: string;
  readonly pipeline?: string;
  readonly rtol: number;
  readonly atol: number;
  readonly seed: number;
  readonly batch?: number;
}

/**
 * `vitc verify MODEL.onnx`: the same seeded random inputs through onnxruntime-node and through
 * vitc; per output, max abs and max rel error and whether every element is within
 * |vitc − ort| ≤ atol + rtol·|ort|. Exit 1 when an output is not.
 */
export async function verifyCommand(model: string, opts: VerifyOptions, io: CommandIo): Promise<void> {
  const target = checkTarget(opts.target, RUN_TARGETS, 'verify');
  if (modelKind(model) !== 'onnx') throw new VitcError('verify compares against onnxruntime, so it needs an ONNX model', { file: model });
  const graph = applyPipeline(await loadGraph(model), opts.pipeline, '--pipeline', { prepare: true, remarks: io.err });
  const specs = graphInputs(graph);
  const batch = chooseBatch(specs, opts.batch, undefined);
  const inputs = randomInputs(specs, batch, opts.seed);

  const ort = await openOrt(model);
  let expected: Map<string, Tensor>;
  try {
    expected = await ort.run(inputs);
  } catch (e) {
    throw new VitcError(`onnxruntime failed to run the model: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`, { file: model });
  } finally {
    await ort.release();
  }

  const runner: ModelRunner =
    target === 'reference' ? referenceRunner(graph) : await (await import('../webgpu-runners.js')).webGpuRunner(graph, { adapter: opts.adapter, batch });
  let actual: Map<string, Tensor>;
  try {
    actual = await runner.run(inputs);
  } finally {
    runner.close();
  }

  io.out(`verify ${model}: vitc on ${runner.description} vs onnxruntime-node; batch ${batch}, seed ${opts.seed}, rtol ${opts.rtol}, atol ${opts.atol}\n`);
  const failed: string[] = [];
  for (const [name, want] of expected) {
    const got = actual.get(name);
    const diff: Difference = got
      ? compareTensors(got, want, opts.rtol, opts.atol)
      : { maxAbs: Infinity, maxRel: Infinity, mismatches: want.size, count: want.size, incompatible: 'vitc has no such output' };
    const ok = diff.mismatches === 0 && !diff.incompatible;
    if (!ok) failed.push(name);
    const detail = diff.incompatible ? ` (${diff.incompatible})` : '';
    io.out(`  ${name} [${want.shape.join(',')}]: max abs ${sci(diff.maxAbs)}, max rel ${sci(diff.maxRel)}, ${diff.mismatches}/${diff.count} outside tolerance${detail}  ${ok ? 'PASS' : 'FAIL'}\n`);
  }
  io.out(failed.length ? 'FAIL\n' : 'PASS\n');
  if (failed.length)
    throw new CheckFailed(`${model}: ${failed.length} of ${expected.size} outputs differ from onnxruntime beyond rtol ${opts.rtol}, atol ${opts.atol} (${failed.map((n) => `'${n}'`).join(', ')})`);
}

function sci(x: number): string {
  return Number.isFinite(x) ? x.toExponential(3) : String(x);
}
