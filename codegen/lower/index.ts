import type { Kernel } from '../kernel-ir/types.js';
import type { Schedule } from '../schedule/types.js';
import type { Workload } from '../workload/types.js';
import { lowerAttention } from './attention.js';
import { lowerElementwise } from './elementwise.js';
import { lowerGather } from './gather.js';
import { lowerMatmul } from './matmul.js';
import { lowerReduce } from './reduce.js';
import { lowerRow } from './row.js';
import { lowerScatterAdd } from './scatter-add.js';
import { lowerTopK } from './top-k.js';

/** Lowers a workload with a schedule of its class into a kernel. */
export function lowerWorkload(w: Workload, s: Schedule, name: string): Kernel {
  if (w.kind !== s.kind) throw new Error(`schedule of kind ${s.kind} for a ${w.kind} workload`);
  switch (w.kind) {
    case 'matmul':
      return lowerMatmul(w, s as Extract<Schedule, { kind: 'matmul' }>, name);
    case 'elementwise':
      return lowerElementwise(w, s as Extract<Schedule, { kind: 'elementwise' }>, name);
    case 'row':
      return lowerRow(w, s as Extract<Schedule, { kind: 'row' }>, name);
    case 'reduce':
      return lowerReduce(w, s as Extract<Schedule, { kind: 'reduce' }>, name);
    case 'attention':
      return lowerAttention(w, s as Extract<Schedule, { kind: 'attention' }>, name);
    case 'top_k':
      return lowerTopK(w, s as Extract<Schedule, { kind: 'top_k' }>, name);
    case 'gather':
      return lowerGather(w, s as Extract<Schedule, { kind: 'gather' }>, name);
    case 'scatter_add':
      return lowerScatterAdd(w, s as Extract<Schedule, { kind: 'scatter_add' }>, name);
  }
}
