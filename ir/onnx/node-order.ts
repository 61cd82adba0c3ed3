import { VitcError } from '../errors.js';
import { describeNode } from './context.js';
import type { OnnxNode } from './schema.js';

/**
 * Orders nodes so every value is defined before use, keeping the file's order where it already
 * is one (ONNX requires topological order; some tools write others). Fails, naming the node, on
 * a value no node, input or initializer defines, a value defined twice, or a cycle.
 */
export function topologicalOrder(nodes: readonly OnnxNode[], predefined: ReadonlySet<string>, file: string): OnnxNode[] {
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => {
    for (const o of n.output ?? []) {
      if (!o) continue;
      if (predefined.has(o) || producer.has(o))
        throw new VitcError(`value '${o}' is defined more than once`, { file, context: describeNode(n) });
      producer.set(o, i);
    }
  });
  for (const n of nodes)
    for (const v of n.input ?? [])
      if (v && !predefined.has(v) && !producer.has(v))
        throw new VitcError(`input '${v}' is not defined by any node, graph input or initializer`, { file, context: describeNode(n) });

  const state = new Uint8Array(nodes.length); // 0 new, 1 on the stack, 2 placed
  const order: OnnxNode[] = [];
  // Iterative depth-first search: each frame is a node and the next input to look at.
  for (let start = 0; start < nodes.length; start++) {
    if (state[start]) continue;
    const stack: [number, number][] = [[start, 0]];
    state[start] = 1;
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const [i, k] = top;
      const inputs = nodes[i]!.input ?? [];
      if (k < inputs.length) {
        top[1] = k + 1;
        const p = inputs[k] ? producer.get(inputs[k]!) : undefined;
        if (p === undefined || state[p] === 2) continue;
        if (state[p] === 1)
          throw new VitcError(`the graph has a cycle: value '${inputs[k]}' depends on this node's own result`, { file, context: describeNode(nodes[i]!) });
        state[p] = 1;
        stack.push([p, 0]);
      } else {
        state[i] = 2;
        order.push(nodes[i]!);
        stack.pop();
      }
    }
  }
  return order;
}
