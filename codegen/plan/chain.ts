import { permute, reshape, type View } from './view.js';

/**
 * A bijective chain of layout changes (reshapes and transposes) from one index space to another.
 * Fusion works in a kernel's own index space: epilogue operands and the output store are mapped
 * back through the inverse of the chain between that space and the values they belong to.
 */
export type ChainStep = { readonly kind: 'reshape'; readonly from: readonly number[]; readonly to: readonly number[] } | { readonly kind: 'transpose'; readonly perm: readonly number[] };

export type Chain = readonly ChainStep[];

/** Applies the chain forwards to a view (a view of the source space becomes one of the target). */
export function applyChain(chain: Chain, v: View): View {
  let cur = v;
  for (const s of chain) cur = s.kind === 'reshape' ? reshape(cur, s.to) : permute(cur, s.perm);
  return cur;
}

/** Maps a view of the chain's target space back to the source space. */
export function applyInverse(chain: Chain, v: View): View {
  let cur = v;
  for (let i = chain.length - 1; i >= 0; i--) {
    const s = chain[i]!;
    cur = s.kind === 'reshape' ? reshape(cur, s.from) : permute(cur, inversePerm(s.perm));
  }
  return cur;
}

export function inversePerm(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

/** Shape of the chain's target given its source shape. */
export function chainTarget(chain: Chain, shape: readonly number[]): readonly number[] {
  let cur = shape;
  for (const s of chain) cur = s.kind === 'reshape' ? s.to : s.perm.map((p) => cur[p]!);
  return cur;
}

/** Does the chain keep the last axis as is (the axis normalisation and matmul K run along)? */
export function keepsLastAxis(chain: Chain, shape: readonly number[]): boolean {
  let cur = shape;
  for (const s of chain) {
    if (s.kind === 'transpose') {
      if (s.perm[s.perm.length - 1] !== s.perm.length - 1) return false;
      cur = s.perm.map((p) => cur[p]!);
    } else {
      if (s.to[s.to.length - 1] !== cur[cur.length - 1]) return false;
      cur = s.to;
    }
  }
  return true;
}
