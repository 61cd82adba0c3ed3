// Runs the WebGPU artifacts that `node dist/tests/bench/gpu-pack.js --target webgpu` packed, with
// nothing but Node and the `webgpu` package: the way a user runs a compiled model on a machine
// without vitc. For each OUT/<name>/ it loads model.js on the chosen adapter, compares every
// output with onnxruntime-node's (want*.bin) and times model.run() host to host.
// A developer's check for GPU machines, not a test.
//
//   node tests/bench/gpu-wgsl-run.mjs DIR [--adapter auto] [--runs 50] [--webgpu PATH_TO_PACKAGE]
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { adapter: { type: 'string', default: 'auto' }, runs: { type: 'string', default: '50' }, webgpu: { type: 'string' } },
});
const root = resolve(positionals[0] ?? '.gpu/webgpu');
const runs = Number(values.runs);
const webgpu = values.webgpu ? await import(pathToFileURL(join(resolve(values.webgpu), 'index.js')).href) : undefined;

function readTyped(file, dtype) {
  const bytes = readFileSync(file);
  const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  return dtype === 'f32' ? new Float32Array(buf) : new Int32Array(buf);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
let failures = 0;
let printedAdapter = false;
console.log(`| model | dispatches | max abs error | max abs ref | first run ms | ms/run median of ${runs} | min |`);
console.log('|---|---|---|---|---|---|---|');
for (const name of readdirSync(root).sort()) {
  const dir = join(root, name);
  if (!existsSync(join(dir, 'check.json'))) continue;
  const check = JSON.parse(readFileSync(join(dir, 'check.json'), 'utf8'));
  let model;
  try {
    const mod = await import(pathToFileURL(join(dir, 'model.js')).href);
    model = await mod.load({ adapter: values.adapter, ...(webgpu ? { webgpu: webgpu.default ?? webgpu } : {}) });
    if (!printedAdapter) {
      const a = model.adapter;
      console.error(`adapter: ${a.name} | ${a.vendor} | ${a.architecture} | ${a.description} | backend ${a.backend}`);
      printedAdapter = true;
    }
    const feeds = Object.fromEntries(check.inputs.map((x) => [x.name, readTyped(join(dir, x.file), 'f32')]));
    let t0 = performance.now();
    const got = await model.run(feeds);
    const first = performance.now() - t0;
    let err = 0;
    let scale = 0;
    for (const o of check.outputs) {
      const want = readTyped(join(dir, o.file), o.dtype);
      const have = got[o.name];
      if (!have || have.length !== want.length) throw new Error(`output ${o.name}: ${have?.length ?? 'no'} values, want ${want.length}`);
      for (let i = 0; i < want.length; i++) {
        err = Math.max(err, Math.abs(have[i] - want[i]));
        scale = Math.max(scale, Math.abs(want[i]));
      }
    }
    const ok = err <= 1e-3 * Math.max(1, scale);
    if (!ok) failures++;
    for (let i = 0; i < 3; i++) await model.run(feeds);
    const times = [];
    for (let i = 0; i < runs; i++) {
      t0 = performance.now();
      await model.run(feeds);
      times.push(performance.now() - t0);
    }
    console.log(`| ${name} | ${check.launches} | ${err.toExponential(2)}${ok ? '' : ' MISMATCH'} | ${scale.toPrecision(3)} | ${first.toFixed(1)} | ${median(times).toFixed(3)} | ${Math.min(...times).toFixed(3)} |`);
  } catch (e) {
    failures++;
    console.log(`| ${name} | failed: ${String(e?.message ?? e).split('\n')[0]} | | | | | |`);
  } finally {
    model?.destroy();
  }
}
console.log(`\n${failures} failure(s)`);
process.exit(failures ? 1 : 0);
