import { stridesOf } from '../../../ir/tensor.js';

/**
 * Element-wise gather and scatter-add along one axis (ONNX GatherElements and ScatterElements
 * with reduction "add"). `indices` has the shape of the result (gather) or of the updates
 * (scatter); every other axis addresses `x`/`data` at the same coordinate. Indices are already
 * checked and non-negative here.
 */
export function gatherElements(x: ArrayLike<number>, xShape: readonly number[], indices: ArrayLike<number>, idxShape: readonly number[], axis: number): Float64Array {
  const xs = stridesOf(xShape);
  const out = new Float64Array(indices.length);
  forEachCoord(idxShape, (p, coord) => {
    let off = 0;
    for (let a = 0; a < coord.length; a++) off += (a === axis ? indices[p]! : coord[a]!) * xs[a]!;
    out[p] = x[off]!;
  });
  return out;
}

/** out = data; out[coord with axis := indices[p]] += updates[p] for every position p, in order. */
export function scatterAdd(
  data: ArrayLike<number>,
  dataShape: readonly number[],
  indices: ArrayLike<number>,
  updates: ArrayLike<number>,
  updShape: readonly number[],
  axis: number,
): Float64Array {
  const ds = stridesOf(dataShape);
  const out = Float64Array.from(data);
  forEachCoord(updShape, (p, coord) => {
    let off = 0;
    for (let a = 0; a < coord.length; a++) off += (a === axis ? indices[p]! : coord[a]!) * ds[a]!;
    out[off]! += updates[p]!;
  });
  return out;
}

function forEachCoord(shape: readonly number[], f: (flat: number, coord: readonly number[]) => void): void {
  const total = shape.reduce((a, b) => a * b, 1);
  const coord = new Array<number>(shape.length).fill(0);
  for (let p = 0; p < total; p++) {
    f(p, coord);
    for (let a = shape.length - 1; a >= 0; a--) {
      if (++coord[a]! < shape[a]!) break;
      coord[a] = 0;
    }
  }
}
