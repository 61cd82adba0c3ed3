import { readFileSync } from 'node:fs';
import { VitcError } from '../../ir/errors.js';
import type { Tensor } from '../../ir/tensor.js';

export interface ClassScore {
  readonly index: number;
  readonly logit: number;
  /** Softmax over all of the row's logits. */
  readonly probability: number;
}

/** The k largest logits of a row, largest first (ties: lower index first), with softmax probabilities. */
export function topK(logits: ArrayLike<number>, k: number): ClassScore[] {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]!);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i]! - max);
  const order = Array.from({ length: logits.length }, (_, i) => i).sort((a, b) => logits[b]! - logits[a]! || a - b);
  return order.slice(0, k).map((index) => ({ index, logit: logits[index]!, probability: Math.exp(logits[index]! - max) / sum }));
}

/** A labels file: one class name per line, line i naming class i. */
export function readLabels(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new VitcError(`cannot read labels: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file: path });
  }
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** The top-5 table printed by `vitc run --image`, for a [1, K] (or [K]) output. */
export function formatTopClasses(output: string, t: Tensor, labels: readonly string[] | undefined): string {
  const k = t.shape[t.shape.length - 1] ?? 1;
  if (t.size !== k) throw new VitcError(`output '${output}' has shape [${t.shape.join(',')}], not one row of class scores`, { context: '--image' });
  if (labels && labels.length !== k) throw new VitcError(`the labels file has ${labels.length} lines; output '${output}' has ${k} classes`, { context: '--labels' });
  const row = Array.from({ length: k }, (_, i) => t.get(i));
  const lines = [`top-5 classes of '${output}':`];
  topK(row, 5).forEach((c, rank) => {
    const label = labels ? `  ${labels[c.index]}` : '';
    lines.push(`  ${rank + 1}. class ${String(c.index).padEnd(4)} p=${c.probability.toFixed(4)}  logit=${c.logit.toFixed(4)}${label}`);
  });
  return `${lines.join('\n')}\n`;
}
