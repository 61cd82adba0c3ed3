/** Shortest decimal text that reads back as the same float32 value. */
export function shortestF32(v: number): string {
  const f = Math.fround(v);
  if (Number.isInteger(f) && Math.abs(f) < 1e21) return `${f}.0`;
  for (let p = 1; p <= 9; p++) {
    const s = f.toPrecision(p);
    if (Math.fround(Number(s)) === f) return normalize(s);
  }
  return normalize(f.toPrecision(9));
}

function normalize(s: string): string {
  // toPrecision may give '1.50000' or '1.5e-7'; strip redundant zeros, keep a float marker.
  if (s.includes('e')) {
    const [m, e] = s.split('e') as [string, string];
    const mant = m.includes('.') ? m.replace(/0+$/, '').replace(/\.$/, '.0') : `${m}.0`;
    return `${mant}e${Number(e)}`;
  }
  if (s.includes('.')) return s.replace(/0+$/, '').replace(/\.$/, '.0');
  return `${s}.0`;
}
