/** x viewed as [outer, d, inner] around one axis: the layout of every single-axis kernel. */
export function outerInner(shape: readonly number[], axis: number): { outer: number; d: number; inner: number } {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i]!;
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i]!;
  return { outer, d: shape[axis]!, inner };
}
