import { loadavg } from 'node:os';
import { basename, join } from 'node:path';
import { bytesMoved } from '../../codegen/emit-webgpu.js';
import { compileWebGpu, type WebGpuCompileResult } from '../../compiler/compile-webgpu.js';
import type { Graph } from '../../ir/graph.js';
import { importOnnxFile } from '../../ir/onnx/import.js';
import { FIXTURES } from '../helpers/paths.js';
import { applyPipeline } from '../unit/passes/apply.js';
import { openAdapterSource } from './dawn-adapters.js';
import { measureModel, type Participant } from './harness.js';
import { prepareModel } from './models.js';
import { ortWebGpuParticipant } from './peers/ort-web.js';
import { vitcWebGpuParticipant } from './peers/vitc-webgpu.js';

/*
 * The structural passes' benchmark (a script, not a test):
 *   node dist/tests/bench/structural.js [--rounds N] [--no-ort] [--adapter llvmpipe|swiftshader] [model.onnx ...]
 * For every EfficientViT (sandwich-fuse) and LowFormer (lowtention-fuse) fixture, or the given
 * models: dispatches and bytes moved per inference (as `vitc compile --stats` counts them) without and with the pass, and ms/img on
 * the adapter (llvmpipe unless --adapter) for vitc unfused, vitc fused and onnxruntime-web's WebGPU EP, measured in alternating
 * rounds (median). Prints a Markdown table on stdout, progress on stderr.
 */

const args = process.argv.slice(2);
const roundsAt = args.indexOf('--rounds');
const rounds = roundsAt >= 0 ? Number(args[roundsAt + 1]) : 5;
const withOrt = !args.includes('--no-ort');
const adapterAt = args.indexOf('--adapter');
const adapter = adapterAt >= 0 ? args[adapterAt + 1] : 'llvmpipe';
if (adapter !== 'llvmpipe' && adapter !== 'swiftshader') throw new Error(`--adapter must be llvmpipe or swiftshader, not ${adapter}`);
const given = args.filter((a) => a.endsWith('.onnx'));
const models = given.length
  ? given
  : [...[0, 1, 2, 3, 4, 5].map((i) => join(FIXTURES, `efficientvit_m${i}.onnx`)), ...[0, 1].map((i) => join(FIXTURES, `lowformer_b${i}.onnx`))];
const passFor = (path: string) => (/lowformer/i.test(basename(path)) ? 'lowtention-fuse' : 'sandwich-fuse');
const log = (s: string) => process.stderr.write(`${s}\n`);

const source = await openAdapterSource(adapter);
log(`${adapter}: ${source.description}`);
const load0 = loadavg()[0]!;
const rows: string[] = [];
for (const path of models) {
  const pass = passFor(path);
  const fuse = (g: Graph, batch: number) => applyPipeline(g, `infer-shapes{batch=${batch}},${pass}`);
  const g = importOnnxFile(path);
  const traffic = (c: WebGpuCompileResult) => ({ dispatches: c.plan.dispatches.length, bytes: bytesMoved(c) });
  const before = traffic(compileWebGpu(g));
  const after = traffic(compileWebGpu(fuse(g, 1)));
  const participants: Participant[] = [vitcWebGpuParticipant(source, 'vitc'), vitcWebGpuParticipant(source, `vitc+${pass}`, fuse)];
  if (withOrt) participants.push(ortWebGpuParticipant(source, 'jsep'));
  const { model, reference } = await prepareModel({ name: basename(path, '.onnx'), path }, true);
  const r = await measureModel(model, participants, { rounds, warmup: 1, budgetMs: 120_000, log, ...(reference ? { reference } : {}) });
  const ms = r.participants.map((p) => (p.error ? `error: ${p.error.slice(0, 40)}` : p.perImage.median.toFixed(2)));
  const maxErr = r.participants.map((p) => Math.max(0, ...p.checks.map((c) => c.diff.maxAbs)).toExponential(1));
  rows.push(
    `| ${model.name} | ${pass} | ${before.dispatches} → ${after.dispatches} | ${(before.bytes / 1e6).toFixed(2)} → ${(after.bytes / 1e6).toFixed(2)} | ${ms.join(' | ')}${withOrt ? '' : ' | –'} | ${maxErr.join(' / ')} |`,
  );
  log(rows.at(-1)!);
}
console.log(`${adapter} (${source.description}); ${rounds} alternating rounds, median ms/img; load average ${load0.toFixed(2)} → ${loadavg()[0]!.toFixed(2)} (2 cores shared: noisy)\n`);
console.log('| model | pass | dispatches | MB moved | vitc ms/img | vitc+pass ms/img | ort-webgpu ms/img | max abs err vs ORT-node (vitc / fused / ort-web) |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
