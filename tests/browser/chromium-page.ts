import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/*
 * Debian's headless Chromium with WebGPU on SwiftShader (flags from docs/DESIGN.md), and a static
 * file server on 127.0.0.1: navigator.gpu exists only on secure pages, which localhost is.
 */

export const CHROMIUM = '/usr/bin/chromium';
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

export interface StaticServer {
  /** http://127.0.0.1:PORT */
  readonly origin: string;
  close(): void;
}

/** Serves the files of `dir`, and an empty HTML page at `/`. */
export function serveFolder(dir: string): Promise<StaticServer> {
  const root = normalize(dir + sep);
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const file = normalize(join(root, decodeURIComponent(path)));
    if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><meta charset="utf-8"><title>vitc artifact</title>');
    } else if (file.startsWith(root) && existsSync(file)) {
      res.writeHead(200, { 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' });
      res.end(readFileSync(file));
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ origin: `http://127.0.0.1:${port}`, close: () => server.close() });
    }),
  );
}

export interface HeadlessChromium {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/** Launches headless Chromium with a throw-away profile; fails when the Debian package is missing. */
export async function launchChromium(): Promise<HeadlessChromium> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install the Debian package chromium`);
  const profile = mkdtempSync(join(tmpdir(), 'vitc-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    return {
      context,
      async close() {
        await context.close();
        rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (e) {
    rmSync(profile, { recursive: true, force: true });
    throw e;
  }
}

/** The first line of an error from page.evaluate, with the page's own errors appended. */
export function pageFailure(e: unknown, pageErrors: readonly string[]): Error {
  const first = e instanceof Error ? e.message.split('\n')[0] : String(e);
  return new Error(`the page failed: ${first}${pageErrors.length ? `; page errors: ${pageErrors.join('; ')}` : ''}`);
}
