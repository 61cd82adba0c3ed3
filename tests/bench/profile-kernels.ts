import type { ScheduleChooser } from '../../codegen/emit-webgpu.js';
import { defaultSchedule } from '../../codegen/schedule/defaults.js';
import { WEBGPU_DEFAULT_LIMITS } from '../../codegen/schedule/limits.js';
import type { Schedule } from '../../codegen/schedule/types.js';
import { applyPipeline } from '../../compiler/cli/apply-pipeline.js';
import { compileWebGpu } from '../../compiler/compile-webgpu.js';
import { importOnnxFile } from '../../ir/onnx/import.js';
import { acquireDevice, type AdapterChoice } from '../../runtime/webgpu/adapters.js';
import { createExecutor, type RunInputs } from '../../runtime/webgpu/executor.js';
import { repoPath } from '../helpers/paths.js';

/*
 * Where a compiled model's time goes on one adapter: per-program host time of one profiled run,
 * summed by program, and the process CPU time per inference over several runs (llvmpipe and
 * SwiftShader run their threads in this process, so CPU time is steadier than wall time on a
 * shared machine). A script, not a test.
 *   node dist/tests/bench/profile-kernels.js [model.onnx] [--adapter llvmpipe|swiftshader] [--runs N] [--pipeline P]
 */

const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
};
const model = args.find((a, i) => !a.startsWith('--') && (i === 0 || !args[i - 1]!.startsWith('--'))) ?? repoPath('.bench/models/vit_ti16.onnx');
const adapter = flag('--adapter', 'llvmpipe') as AdapterChoice;
const runs = Number(flag('--runs', '5'));

// --schedule '{"matmul":{...},"attention":{...}}' overrides fields of the default schedules (for trying knobs).
// --against '{...}' (same form) also builds that variant and times both alternately, run by run.
type Overrides = Record<string, Record<string, unknown>>;
const chooser = (overrides: Overrides): ScheduleChooser => (w) => {
  const o = overrides[w.kind];
  return o ? { schedule: { ...defaultSchedule(w, WEBGPU_DEFAULT_LIMITS), ...o } as Schedule, source: 'default' } : undefined;
};
const choose = chooser(JSON.parse(flag('--schedule', '{}')) as Overrides);
const against = args.includes('--against') ? (JSON.parse(flag('--against', '{}')) as Overrides) : undefined;
const t0 = performance.now();
const graph = applyPipeline(importOnnxFile(model), args.includes('--pipeline') ? flag('--pipeline', '') : undefined, '--pipeline', { prepare: true });
const compiled = compileWebGpu(graph, { batch: 1, choose });
const compileMs = performance.now() - t0;
const acquired = await acquireDevice({ adapter, maxLimits: true, timestamps: false });
const c0 = performance.now();
const executor = await createExecutor(acquired.device, compiled.plan, compiled.sources, compiled.weights);
const createMs = performance.now() - c0;
const inputs: RunInputs = Object.fromEntries(
  compiled.plan.inputs.map((t) => {
    const n = t.shape.reduce((a: number, b: number) => a * b, 1);
    const x = new Float32Array(n);
    for (let i = 0; i < n; i++) x[i] = Math.sin(i * 0.37);
    return [t.name, x];
  }),
);
await executor.run(inputs); // warm-up

// Per program: process CPU time of repeated runs of its first dispatch (times its dispatch count).
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const byProgram = new Map<string, { first: number; count: number; label: string }>();
compiled.plan.dispatches.forEach((d, i) => {
  const e = byProgram.get(d.program) ?? { first: i, count: 0, label: d.label };
  e.count += 1;
  byProgram.set(d.program, e);
});
const kernelOf = new Map(compiled.kernels.map((k) => [k.program, k]));
const rows: { ms: number; line: string }[] = [];
for (const [program, e] of byProgram) {
  // The least of a few short batches: contention from other processes only ever adds time.
  let each = Infinity;
  for (let batch = 0; batch < 4; batch++) {
    const before = cpuMs();
    await executor.timeDispatch(e.first, { warmup: 0, repeats: 3, method: 'host' });
    each = Math.min(each, (cpuMs() - before) / 3);
  }
  rows.push({ ms: each * e.count, line: `${(each * e.count).toFixed(1).padStart(8)} ms  ${String(e.count).padStart(3)}× ${each.toFixed(2).padStart(7)}  ${program}  ${e.label}  ${JSON.stringify(kernelOf.get(program)?.schedule)}` });
}
console.log(`compile ${compileMs.toFixed(0)} ms, pipelines ${createMs.toFixed(0)} ms, ${compiled.plan.dispatches.length} dispatches on ${adapter}; CPU ms per program (total, count, each):`);
for (const r of rows.sort((x, y) => y.ms - x.ms)) console.log(r.line);
console.log(`sum of programs ${rows.reduce((t, r) => t + r.ms, 0).toFixed(0)} ms CPU`);

const other = against
  ? await createExecutor(acquired.device, ...(() => {
      const c = compileWebGpu(importOnnxFile(model), { batch: 1, choose: chooser(against) });
      return [c.plan, c.sources, c.weights] as const;
    })())
  : undefined;
if (other) await other.run(inputs);
const samples: number[][] = [[], []];
for (let i = 0; i < runs; i++) {
  for (const [j, ex] of [executor, other].entries()) {
    if (!ex) continue;
    const before = cpuMs();
    await ex.run(inputs);
    samples[j]!.push(cpuMs() - before);
  }
}
const summary = (xs: number[]) => {
  const sorted = [...xs].sort((x, y) => x - y);
  return `min ${sorted[0]!.toFixed(0)} ms, median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(0)} ms`;
};
console.log(`per inference CPU (${runs} runs): ${summary(samples[0]!)}`);
if (other) console.log(`per inference CPU, --against variant (alternating): ${summary(samples[1]!)}`);
executor.destroy();
other?.destroy();
acquired.release();
