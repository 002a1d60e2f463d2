/**
 * What the browser tests need besides the Worker: Debian's Chromium driven by playwright-core, and
 * a static file server that gives a page an origin of its own.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

/** Debian's package `chromium`; .ci/run installs it. */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Flags for a machine without a GPU, a sandbox-capable kernel or outside network: without the
 * last five, Chromium's background connections (updates, sync, QUIC probes) are refused and noisy.
 * playwright-core adds --headless and a fresh --user-data-dir itself.
 */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Starts headless Chromium; fails with the fix when it is not installed. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (as .ci/run does)`);
  // A generous timeout: the machine is shared, and a cold start under load can take a while.
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 120_000,
  });
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
};

/** A static site on 127.0.0.1. */
export interface StaticSite {
  /** e.g. http://127.0.0.1:41234, an origin different from the Worker's (another port). */
  origin: string;
  close(): Promise<void>;
}

/** Serves the files under `root` (GET only, `/` -> index.html) on a free 127.0.0.1 port. */
export async function serveDirectory(root: string): Promise<StaticSite> {
  const server = createServer(async (request, response) => {
    const path = normalize(
      decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname),
    ).replace(/\/$/, '/index.html');
    const file = join(root, path);
    if (request.method !== 'GET' || !file.startsWith(root + sep)) {
      response.writeHead(request.method === 'GET' ? 403 : 405).end();
      return;
    }
    try {
      const body = await readFile(file);
      response
        .writeHead(200, {
          'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
        })
        .end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
