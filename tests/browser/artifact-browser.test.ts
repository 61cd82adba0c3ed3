import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import type * as ArtifactRuntime from '../../runtime/webgpu/artifact-runtime.js';
import { writeArtifact, type ArtifactFolder } from '../unit/webgpu/artifact-folder.js';
import { assertClose, K, M, mlpCase, seededValues } from '../unit/webgpu/mlp-case.js';
import { launchChromium, pageFailure, serveFolder, type HeadlessChromium, type StaticServer } from './chromium-page.js';

/*
 * The artifact loader in a real browser: Debian's headless Chromium on SwiftShader loads a
 * hand-assembled artifact folder from a page served on 127.0.0.1, and its outputs are compared
 * with the same artifact run in Node (Dawn on SwiftShader) and with a CPU evaluation.
 */

const c = mlpCase();
let folder: ArtifactFolder;
let server: StaticServer;
let browser: HeadlessChromium;

before(async () => {
  folder = writeArtifact(c);
  server = await serveFolder(folder.dir);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  server?.close();
  folder?.remove();
});

interface PageResult {
  readonly adapter: { name: string; architecture: string; backend: string } | undefined;
  readonly hidden: number[];
  readonly logits: number[];
}

test('headless Chromium runs the artifact from http://127.0.0.1 like Node does', async () => {
  const page = await browser.context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(`${server.origin}/`);
  const x = seededValues(M * K, 41);
  const fromBrowser = await page
    .evaluate(async ({ input, origin }: { input: number[]; origin: string }): Promise<PageResult> => {
      const runtime = (await import(`${origin}/runtime.js`)) as typeof ArtifactRuntime;
      const artifact = await runtime.loadArtifact('/');
      try {
        const out = await artifact.run({ x: new Float32Array(input) });
        const a = artifact.info.adapter;
        return { adapter: a && { name: a.name, architecture: a.architecture, backend: a.backend }, hidden: Array.from(out.hidden!), logits: Array.from(out.logits!) };
      } finally {
        artifact.destroy();
      }
    }, { input: Array.from(x), origin: server.origin })
    .catch((e: unknown) => {
      throw pageFailure(e, pageErrors);
    });
  assert.deepEqual(fromBrowser.adapter, { name: 'SwiftShader', architecture: 'swiftshader', backend: 'browser' });

  const runtime = (await import(pathToFileURL(join(folder.dir, 'runtime.js')).href)) as typeof ArtifactRuntime;
  const inNode = await runtime.loadArtifact(folder.dir, { adapter: 'swiftshader' });
  try {
    const out = await inNode.run({ x });
    // Same kernels, same SwiftShader: the two runs agree to rounding; both agree with the CPU.
    assertClose(fromBrowser.logits, out.logits!, 'browser vs Node logits', 1e-6, 1e-6);
    assertClose(fromBrowser.hidden, out.hidden!, 'browser vs Node hidden', 1e-6, 1e-6);
    assertClose(fromBrowser.logits, c.reference(x).logits, 'browser vs CPU logits');
  } finally {
    inNode.destroy();
  }
});
