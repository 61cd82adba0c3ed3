import { type Dim, dimDiv, dimProduct, isStatic, normAxis } from '../../dim.js';
import { fail } from '../../errors.js';

/**
 * ONNX Reshape's target with 0 (copy the input dim, unless allowzero) and one -1 (inferred)
 * resolved into a fully specified shape, symbolic dims included.
 */
export function resolveReshape(input: readonly Dim[], target: readonly Dim[], allowzero: boolean): Dim[] {
  let inferred = -1;
  const out = target.map((d, i): Dim => {
    if (d === 0 && !allowzero) {
      if (i >= input.length) fail(`Reshape target [${target.join(',')}] copies dimension ${i}, but the input has rank ${input.length}`);
      return input[i]!;
    }
    if (d === -1) {
      if (inferred >= 0) fail(`Reshape target [${target.join(',')}] has more than one -1`);
      inferred = i;
      return 1;
    }
    if (isStatic(d) && d < 0) fail(`Reshape target [${target.join(',')}] has the invalid dimension ${d}`);
    return d;
  });
  if (inferred >= 0) out[inferred] = dimDiv(dimProduct(input), dimProduct(out));
  return out;
}

/** Output shape of Unsqueeze: `axes` index the output. */
export function unsqueezeShape(input: readonly Dim[], axes: readonly number[]): Dim[] {
  const rank = input.length + axes.length;
  const norm = axes.map((a) => normAxis(a, rank, 'Unsqueeze axis'));
  if (new Set(norm).size !== norm.length) fail(`Unsqueeze axes [${axes.join(',')}] repeat an axis`);
  const out: Dim[] = [];
  let j = 0;
  for (let i = 0; i < rank; i++) out.push(norm.includes(i) ? 1 : input[j++]!);
  return out;
}

/** Output shape of Squeeze; without axes every static 1 is removed (a symbolic dim could be 1 at run time). */
export function squeezeShape(input: readonly Dim[], axes: readonly number[] | undefined): Dim[] {
  if (axes === undefined) {
    if (input.some((d) => !isStatic(d))) fail(`Squeeze without axes on shape [${input.join(',')}] depends on the batch size; give axes`);
    return input.filter((d) => d !== 1);
  }
  const norm = axes.map((a) => normAxis(a, input.length, 'Squeeze axis'));
  for (const a of norm) if (input[a] !== 1) fail(`Squeeze axis ${a} has size ${input[a]}, not 1`);
  return input.filter((_, i) => !norm.includes(i));
}

/** Output shape of Flatten: [prod(dims[:axis]), prod(dims[axis:])]. */
export function flattenShape(input: readonly Dim[], axis: number): Dim[] {
  const a = axis < 0 ? axis + input.length : axis;
  if (a < 0 || a > input.length) fail(`Flatten axis ${axis} is out of range for rank ${input.length}`);
  return [dimProduct(input.slice(0, a)), dimProduct(input.slice(a))];
}
