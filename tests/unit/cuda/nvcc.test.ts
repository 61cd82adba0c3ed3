import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { compileCuda, type CudaCompileResult, writeCudaArtifact } from '../../../compiler/compile-cuda.js';
import { importOnnxFile } from '../../../ir/onnx/import.js';
import { FIXTURES } from '../../helpers/paths.js';
import { assertCompilesWithoutSpills, CUDA_ARCHS, inPool, requireNvcc, runCommand } from './toolchain.js';

/**
 * Every fixture's CUDA build compiles with nvcc for sm_80 and sm_90 without ptxas errors or
 * register spills in the default schedules, and the launcher compiles and links with the kernels
 * into a shared library and into the runner program. Fixtures whose kernels.cu is byte-identical
 * (the ViT exports at opset 13/17, static or dynamic batch, external data) are compiled once.
 */
const FIXTURE_MODELS: readonly [string, number][] = [
  ['vit_op13_b1.onnx', 1],
  ['vit_op13_b2.onnx', 2],
  ['vit_op13_dyn.onnx', 1],
  ['vit_op17_b1.onnx', 1],
  ['vit_op17_b2.onnx', 2],
  ['vit_op17_dyn.onnx', 1],
  ['vit_external/model.onnx', 1],
  ['mnist_vit.onnx', 1],
  ['swin_op13_b2.onnx', 2],
  ['swin_op17_b1.onnx', 1],
  ['swinv2_op17_b1.onnx', 1],
  ['maxvit_op17_b1.onnx', 1],
];

const work = mkdtempSync(join(tmpdir(), 'vitc-nvcc-'));
after(() => rmSync(work, { recursive: true, force: true }));

interface Build {
  readonly files: string[];
  readonly dir: string;
  readonly compiled: CudaCompileResult;
}

function distinctBuilds(): Build[] {
  const builds = new Map<string, Build>();
  for (const [file, batch] of FIXTURE_MODELS) {
    const compiled = compileCuda(importOnnxFile(join(FIXTURES, file)), { batch });
    const key = createHash('sha256').update(compiled.files.get('kernels.cu')!).digest('hex');
    const seen = builds.get(key);
    if (seen) {
      seen.files.push(file);
      continue;
    }
    const dir = join(work, `m${builds.size}`);
    writeCudaArtifact(dir, compiled);
    builds.set(key, { files: [file], dir, compiled });
  }
  return [...builds.values()];
}

test('kernels of every fixture compile for sm_80 and sm_90 without ptxas errors or spills; launchers compile', async (t) => {
  if (!requireNvcc(t)) return;
  const builds = distinctBuilds();
  t.diagnostic(`${FIXTURE_MODELS.length} fixtures, ${builds.length} distinct kernels.cu: ${builds.map((b) => b.files.join(' = ')).join('; ')}`);
  const jobs = builds.flatMap((b) => [
    async () => {
      const what = b.files.join(', ');
      const usage = await assertCompilesWithoutSpills(b.dir, b.compiled.kernels.map((k) => k.name), what);
      for (const arch of CUDA_ARCHS) {
        const regs = Math.max(...usage.filter((u) => u.arch === arch).map((u) => u.registers));
        t.diagnostic(`${what} on ${arch}: ${b.compiled.kernels.length} kernels, at most ${regs} registers, no spills`);
      }
    },
    async () => {
      const what = b.files.join(', ');
      const r = await runCommand('nvcc', ['-c', '-arch=sm_80', '-Xcompiler', '-Wall,-Wextra', 'launcher.cu', '-o', 'launcher.o'], { cwd: b.dir });
      assert.equal(r.code, 0, `${what}: launcher.cu does not compile:\n${r.output.slice(0, 4000)}`);
      assert.doesNotMatch(r.output, /warning/i, `${what}: launcher.cu compiles with warnings:\n${r.output.slice(0, 4000)}`);
    },
  ]);
  await inPool(jobs);
});

test('kernels and launcher link into a shared library and, with the runner, into a program', async (t) => {
  if (!requireNvcc(t)) return;
  const compiled = compileCuda(importOnnxFile(join(FIXTURES, 'vit_op17_b1.onnx')), { batch: 1 });
  const dir = join(work, 'link');
  writeCudaArtifact(dir, compiled);
  const gencode = CUDA_ARCHS.flatMap((a) => ['-gencode', `arch=compute_${a.slice(3)},code=${a}`]);
  const steps: [string, string[]][] = [
    ['kernels.o', ['-c', ...gencode, '-Xcompiler', '-fPIC', 'kernels.cu', '-o', 'kernels.o']],
    ['launcher.o', ['-c', '-Xcompiler', '-fPIC,-Wall,-Wextra', 'launcher.cu', '-o', 'launcher.o']],
    ['run_model.o', ['-c', '-Xcompiler', '-Wall,-Wextra', 'run_model.cu', '-o', 'run_model.o']],
  ];
  const compiles = await inPool(steps.map(([, args]) => () => runCommand('nvcc', args, { cwd: dir })));
  compiles.forEach((r, i) => {
    assert.equal(r.code, 0, `${steps[i]![0]}: nvcc failed:\n${r.output.slice(0, 4000)}`);
    assert.doesNotMatch(r.output, /warning/i, `${steps[i]![0]}: warnings:\n${r.output.slice(0, 4000)}`);
  });
  const links = await inPool([
    () => runCommand('nvcc', ['-shared', ...gencode, 'kernels.o', 'launcher.o', '-o', 'libvitc_model.so'], { cwd: dir }),
    () => runCommand('nvcc', [...gencode, 'kernels.o', 'launcher.o', 'run_model.o', '-o', 'run_model'], { cwd: dir }),
  ]);
  links.forEach((r) => assert.equal(r.code, 0, `link failed:\n${r.output.slice(0, 4000)}`));
  // The library exports exactly the C API (plain C names, no C++ mangling).
  const nm = await runCommand('nm', ['-D', '--defined-only', 'libvitc_model.so'], { cwd: dir });
  for (const fn of ['vitc_model_create', 'vitc_model_run', 'vitc_model_destroy', 'vitc_last_error']) assert.match(nm.output, new RegExp(`\\bT ${fn}$`, 'm'), `libvitc_model.so does not export ${fn}`);
});
