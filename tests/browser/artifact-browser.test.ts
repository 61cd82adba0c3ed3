import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import type * as ArtifactRuntime from '../../runtime/webgpu/artifact-runtime.js';
import { writeArtifact, type ArtifactFolder } from '../unit/webgpu/artifact-folder.js';
import { assertClose, K, M, mlpCase, seededValues } from '../unit/webgpu/mlp-case.js';

/*
 * The compiled artifact in a real browser: Debian's headless Chromium on SwiftShader loads the
 * artifact folder from a page served on 127.0.0.1, and its outputs are compared with the same
 * artifact run in Node (Dawn on SwiftShader) and with a CPU evaluation.
 */

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--use-webgpu-adapter=swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.json': 'application/json',
  '.wgsl': 'text/plain',
  '.safetensors': 'application/octet-stream',
};

function serve(dir: string): Promise<Server> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const file = path === '/' ? null : normalize(join(dir, decodeURIComponent(path)));
    if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><meta charset="utf-8"><title>vitc artifact</title>');
    } else if (file && file.startsWith(dir) && existsSync(file)) {
      res.writeHead(200, { 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' });
      res.end(readFileSync(file));
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const c = mlpCase();
let folder: ArtifactFolder;
let server: Server;
let profileDir: string;
let browser: BrowserContext;

before(async () => {
  folder = writeArtifact(c);
  server = await serve(folder.dir);
  profileDir = mkdtempSync(join(tmpdir(), 'vitc-chromium-'));
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install the Debian package chromium`);
  browser = await chromium.launchPersistentContext(profileDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  server?.close();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  folder?.remove();
});

interface PageResult {
  readonly adapter: { name: string; architecture: string; backend: string } | undefined;
  readonly hidden: number[];
  readonly logits: number[];
}

test('headless Chromium runs the artifact from http://127.0.0.1 like Node does', async () => {
  const page = await browser.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  const { port } = server.address() as AddressInfo;
  await page.goto(`http://127.0.0.1:${port}/`);
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
    }, { input: Array.from(x), origin: `http://127.0.0.1:${port}` })
    .catch((e: unknown) => {
      throw new Error(`the page failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}${pageErrors.length ? `; page errors: ${pageErrors.join('; ')}` : ''}`);
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
