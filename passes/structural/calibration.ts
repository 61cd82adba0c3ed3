import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mnistBatch, readMnistTestSet } from '../../compiler/mnist-test-set.js';
import { packageRoot } from '../../compiler/package-info.js';
import { VitcError } from '../../ir/errors.js';
import type { Graph } from '../../ir/graph.js';
import { Tensor } from '../../ir/tensor.js';
import { readNpy } from '../../runtime/npy.js';

/**
 * Calibration inputs for a one-input model, cut into the batch size the graph is specialised
 * for: the first `samples` rows of a float32 .npy file [N, ...input dims], or without a file the
 * bundled MNIST test digits (pixel / 255), which fit only [B, 1, 28, 28] models.
 */
export function calibrationInputs(g: Graph, file: string | undefined, samples: number): Map<string, Tensor>[] {
  if (g.inputs.length !== 1) throw new VitcError(`calibration needs a model with one input, this one has ${g.inputs.length}`);
  const input = g.inputs[0]!;
  const shape = input.type.shape;
  if (!shape.every((d) => typeof d === 'number')) throw new VitcError(`calibration needs static input shapes (run infer-shapes{batch=B} first), input '${input.name}' is [${shape.join(',')}]`);
  const [batch, ...item] = shape as number[];
  const per = item.reduce((a, b) => a * b, 1);
  let data: Float32Array;
  let count: number;
  if (file === undefined) {
    if (item.join(',') !== '1,28,28') throw new VitcError(`no calibration file given (calib=FILE.npy) and the bundled MNIST digits do not fit input '${input.name}' [${shape.join(',')}]`);
    const set = readMnistTestSet(join(packageRoot(), 'tests', 'fixtures'));
    count = Math.min(wholeBatches(samples, batch), set.count);
    data = mnistBatch(set, 0, count);
  } else {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(file);
    } catch (e) {
      throw new VitcError(`cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file });
    }
    const t = readNpy(bytes, file);
    if (t.dtype !== 'f32' || t.shape.slice(1).join(',') !== item.join(','))
      throw new VitcError(`calibration data is ${t.dtype}[${t.shape.join(',')}], expected f32[N,${item.join(',')}] for input '${input.name}'`, { file });
    count = Math.min(wholeBatches(samples, batch), t.shape[0]!);
    data = t.data as Float32Array;
  }
  // Only the last chunk can be short (the data ran out); its missing rows are zeros.
  const out: Map<string, Tensor>[] = [];
  for (let s = 0; s < count; s += batch) {
    const chunk = new Float32Array(batch * per);
    chunk.set(data.subarray(s * per, Math.min(count, s + batch) * per));
    out.push(new Map([[input.name!, new Tensor('f32', [batch, ...item], chunk)]]));
  }
  return out;
}

/** `samples` rounded up to whole batches, so no calibration batch is padded while data remains. */
function wholeBatches(samples: number, batch: number): number {
  return Math.ceil(samples / batch) * batch;
}
