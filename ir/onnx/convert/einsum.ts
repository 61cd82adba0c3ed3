import { type Dim, dimProduct } from '../../dim.js';
import { VitcError } from '../../errors.js';

/** A parsed Einsum equation: one subscript string per operand and the output's. */
export interface EinsumSpec {
  readonly inputs: readonly string[];
  readonly output: string;
}

/**
 * Parses an Einsum equation (`"bij,bjk->bik"`, spaces allowed as PyTorch writes them). Without
 * `->` the output is every letter used exactly once, in alphabetical order. Ellipses and repeated
 * letters within one operand (diagonals) are not supported.
 */
export function parseEinsum(equation: string, operands: number): EinsumSpec {
  const eq = equation.replace(/\s+/g, '');
  if (eq.includes('.')) throw new VitcError(`Einsum '${equation}': ellipsis ('...') is not supported`);
  const [lhs, rhs, extra] = eq.split('->');
  if (extra !== undefined) throw new VitcError(`Einsum '${equation}' has more than one '->'`);
  const inputs = lhs!.split(',');
  if (inputs.length !== operands) throw new VitcError(`Einsum '${equation}' names ${inputs.length} operands, the node has ${operands}`);
  for (const s of [...inputs, rhs ?? '']) {
    if (!/^[A-Za-z]*$/.test(s)) throw new VitcError(`Einsum '${equation}': invalid subscripts '${s}'`);
    if (new Set(s).size !== s.length) throw new VitcError(`Einsum '${equation}': repeated subscripts in '${s}' (diagonals) are not supported`);
  }
  let output = rhs;
  if (output === undefined) {
    const count = new Map<string, number>();
    for (const s of inputs) for (const c of s) count.set(c, (count.get(c) ?? 0) + 1);
    output = [...count].filter(([, n]) => n === 1).map(([c]) => c).sort().join('');
  }
  for (const c of output) if (!inputs.some((s) => s.includes(c))) throw new VitcError(`Einsum '${equation}': output subscript '${c}' is not in any operand`);
  return { inputs, output };
}

/**
 * The plan for a two-operand Einsum as one batched matmul:
 * A → transpose to [batch, aFree, contracted] → reshape [batchA, M, K];
 * B → transpose to [batch, contracted, bFree] → reshape [batchB, K, N];
 * matmul → reshape [batch, aFree, bFree] → transpose to the output order.
 * Letters of one operand that appear nowhere else are summed away first.
 */
export interface EinsumPlan {
  readonly sumA: readonly number[];
  readonly sumB: readonly number[];
  readonly permA: readonly number[];
  readonly shapeA: readonly Dim[];
  readonly permB: readonly number[];
  readonly shapeB: readonly Dim[];
  /** Shape of the matmul result unflattened to [batch, aFree, bFree]. */
  readonly unflat: readonly Dim[];
  readonly permOut: readonly number[];
}

export function planEinsum2(spec: EinsumSpec, a: readonly Dim[], b: readonly Dim[]): EinsumPlan {
  const [sa, sb] = spec.inputs as [string, string];
  const out = spec.output;
  if (sa.length !== a.length || sb.length !== b.length)
    throw new VitcError(`Einsum subscripts '${sa},${sb}' do not match operand ranks ${a.length} and ${b.length}`);
  const sumA = [...sa].flatMap((c, i) => (!sb.includes(c) && !out.includes(c) ? [i] : []));
  const sumB = [...sb].flatMap((c, i) => (!sa.includes(c) && !out.includes(c) ? [i] : []));
  const ra = [...sa].filter((_, i) => !sumA.includes(i)).join('');
  const rb = [...sb].filter((_, i) => !sumB.includes(i)).join('');
  const da = new Map([...sa].map((c, i) => [c, a[i]!] as const));
  const db = new Map([...sb].map((c, i) => [c, b[i]!] as const));

  const batch = [...out].filter((c) => ra.includes(c) && rb.includes(c));
  const aFree = [...out].filter((c) => ra.includes(c) && !rb.includes(c));
  const bFree = [...out].filter((c) => rb.includes(c) && !ra.includes(c));
  const contracted = [...ra].filter((c) => rb.includes(c) && !out.includes(c));
  for (const c of contracted)
    if (da.get(c) !== db.get(c)) throw new VitcError(`Einsum: subscript '${c}' has size ${da.get(c)} in one operand and ${db.get(c)} in the other`);

  const orderA = [...batch, ...aFree, ...contracted];
  const orderB = [...batch, ...contracted, ...bFree];
  const bdim = (m: Map<string, Dim>) => batch.map((c) => m.get(c)!);
  const prod = (m: Map<string, Dim>, cs: readonly string[]) => dimProduct(cs.map((c) => m.get(c)!));
  const batchOut = batch.map((c) => {
    const x = da.get(c)!;
    const y = db.get(c)!;
    if (x !== y && x !== 1 && y !== 1) throw new VitcError(`Einsum: subscript '${c}' has size ${x} in one operand and ${y} in the other`);
    return x === 1 ? y : x;
  });
  const unflatOrder = [...batch, ...aFree, ...bFree];
  return {
    sumA,
    sumB,
    permA: orderA.map((c) => ra.indexOf(c)),
    shapeA: [...bdim(da), prod(da, aFree), prod(da, contracted)],
    permB: orderB.map((c) => rb.indexOf(c)),
    shapeB: [...bdim(db), prod(db, contracted), prod(db, bFree)],
    unflat: [...batchOut, ...aFree.map((c) => da.get(c)!), ...bFree.map((c) => db.get(c)!)],
    permOut: [...out].map((c) => unflatOrder.indexOf(c)),
  };
}

export function isIdentityPerm(perm: readonly number[]): boolean {
  return perm.every((p, i) => p === i);
}
