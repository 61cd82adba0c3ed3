import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { Tensor } from '../../ir/tensor.js';
import { compareTensors } from '../../runtime/compare.js';
import { openOrt } from '../../runtime/ort-reference.js';
import { scratchFolder, writeFixtureArtifact, type FixtureArtifact } from '../artifact/fixture-artifact.js';
import { FIXTURES } from '../helpers/paths.js';
import { launchChromium, pageFailure, serveFolder, type HeadlessChromium, type StaticServer } from './chromium-page.js';

/*
 * A compiled model in a real browser: mnist_vit.onnx compiled by vitc into an artifact folder,
 * served on 127.0.0.1 and imported by a page in headless Chromium (SwiftShader) through its
 * model.js, with nothing else on the page. Its logits for MNIST test digits equal those of the
 * same artifact in Node on SwiftShader, and match onnxruntime-node.
 */

/** The shape of model.js as the page and this test use it (model.d.ts types it for users). */
interface ModelModule {
  readonly name: string;
  readonly inputs: readonly { name: string; shape: readonly number[] }[];
  load(options?: { adapter?: string; webgpu?: unknown }): Promise<{
    readonly adapter: { name: string; backend: string } | undefined;
    run(inputs: Record<string, Float32Array>): Promise<Record<string, Float32Array>>;
    destroy(): void;
  }>;
}

const BATCH = 1;
const scratch = scratchFolder('vitc-browser-artifact-');
let artifact: FixtureArtifact;
let server: StaticServer;
let browser: HeadlessChromium;

before(async () => {
  artifact = await writeFixtureArtifact('mnist_vit.onnx', join(scratch.path, 'mnist_vit'), BATCH);
  server = await serveFolder(artifact.dir);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  server?.close();
  scratch.remove();
});

/** The first `count` MNIST test digits as the model takes them (byte / 255). */
function digits(count: number): Float32Array {
  const bytes = gunzipSync(readFileSync(join(FIXTURES, 'mnist_test_images.u8.gz'))).subarray(0, count * 784);
  return Float32Array.from(bytes, (b) => b / 255);
}

test('headless Chromium runs the compiled mnist_vit artifact through model.js and gets the logits Node gets', async (t) => {
  const x = digits(BATCH);
  const page = await browser.context.newPage();
  const pageErrors: string[] = [];
  const requested: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('request', (r) => requested.push(r.url()));
  await page.goto(`${server.origin}/`);
  const fromBrowser = await page
    .evaluate(async ({ input, origin }: { input: number[]; origin: string }) => {
      const mod = (await import(`${origin}/model.js`)) as ModelModule;
      const model = await mod.load({ adapter: 'swiftshader' });
      try {
        const out = await model.run({ [mod.inputs[0]!.name]: new Float32Array(input) });
        return { name: mod.name, adapter: model.adapter && { name: model.adapter.name, backend: model.adapter.backend }, logits: Array.from(out.logits!) };
      } finally {
        model.destroy();
      }
    }, { input: Array.from(x), origin: server.origin })
    .catch((e: unknown) => {
      throw pageFailure(e, pageErrors);
    });
  assert.equal(fromBrowser.name, 'mnist_vit');
  assert.deepEqual(fromBrowser.adapter, { name: 'SwiftShader', backend: 'browser' });
  // The page fetched the artifact's own files and nothing else (no Node-only runtime file either).
  const fetched = requested.map((u) => new URL(u)).filter((u) => u.pathname !== '/');
  assert.ok(fetched.every((u) => u.origin === server.origin && artifact.files.includes(u.pathname.slice(1))), `unexpected requests: ${requested.join(', ')}`);
  assert.ok(!fetched.some((u) => u.pathname === '/dawn-adapters.js'), 'the browser loaded the Node adapter code');

  const webgpu = await import('webgpu');
  const mod = (await import(pathToFileURL(join(artifact.dir, 'model.js')).href)) as ModelModule;
  const inNode = await mod.load({ adapter: 'swiftshader', webgpu });
  let fromNode: Float32Array;
  try {
    assert.equal(inNode.adapter?.name, 'SwiftShader');
    fromNode = (await inNode.run({ x })).logits!;
  } finally {
    inNode.destroy();
  }
  const shape = [BATCH, 10];
  // Same WGSL on SwiftShader in both; Chromium's and the npm package's Dawn may translate it a
  // little differently, so equal up to float rounding rather than bit for bit.
  const same = compareTensors(Tensor.f32(shape, fromBrowser.logits), Tensor.f32(shape, fromNode), 1e-5, 1e-6);
  assert.equal(same.mismatches, 0, `browser vs Node logits: ${same.mismatches}/${same.count} differ, max abs ${same.maxAbs}`);
  t.diagnostic(`browser vs Node: max abs difference ${same.maxAbs}`);

  const ort = await openOrt(artifact.model);
  try {
    const expected = (await ort.run(new Map([['x', Tensor.f32([BATCH, 1, 28, 28], x)]]))).get('logits')!;
    const d = compareTensors(Tensor.f32(shape, fromBrowser.logits), expected, 1e-4, 1e-5);
    assert.equal(d.mismatches, 0, `browser vs onnxruntime logits: ${d.mismatches}/${d.count} differ, max abs ${d.maxAbs}, max rel ${d.maxRel}`);
    t.diagnostic(`browser vs onnxruntime: max abs difference ${d.maxAbs}`);
  } finally {
    await ort.release();
  }
});
