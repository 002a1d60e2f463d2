/**
 * The demo page and the static-site example in a real browser: Debian's Chromium, driven by
 * playwright-core, against the real Worker bundle in workerd. Screenshots of every state land in
 * test-artifacts/browser/ for a human to look at.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encode as encodePng } from 'fast-png';
import jpeg from 'jpeg-js';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeAsset } from '../../asset/format.ts';
import { PROJECT_ROOT } from '../worker/bundle.ts';
import { testImages, toPng, type Bytes } from '../worker/dataset.ts';
import { startWorker, type WorkerUnderTest } from '../worker/harness.ts';
import { launchChromium, serveDirectory, type StaticSite } from './browser.ts';

const ARTIFACTS = join(PROJECT_ROOT, 'test-artifacts', 'browser');
const MODEL_FILE = join(PROJECT_ROOT, 'models', 'fashion-mnist-mlp.bin');
const CLASSIFY = '/v1/classify?top=3';
const { images } = testImages(4);

interface Classification {
  predictions: { label: string; index: number; score: number }[];
  model: { name: string; version: string; sha256: string };
}
/** A prediction as the page shows it: label text, the machine-readable score, and the score text. */
interface Shown {
  label: string;
  score: number;
  text: string;
}

let worker: WorkerUnderTest;
let browser: Browser;
const pageErrors: string[] = [];
const pages: Page[] = [];

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  worker = await startWorker();
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await worker?.dispose();
});
afterEach(async () => {
  await Promise.all(pages.splice(0).map((page) => page.context().close()));
  const errors = pageErrors.splice(0);
  expect(errors, 'script errors or CSP violations in the page').toEqual([]);
});

/** A fresh page (its own browser context: no cache, no preflight cache) that records script errors. */
async function openPage(options: BrowserContextOptions = { viewport: { width: 1100, height: 900 } }): Promise<Page> {
  const page = await browser.newPage(options);
  pages.push(page);
  page.on('pageerror', (error) => pageErrors.push(error.message));
  // CSP violations and script failures are console errors. Failed requests and CORS refusals are
  // too, but the tests that cause them on purpose check their outcome directly.
  page.on('console', (message) => {
    const text = message.text();
    if (message.type() === 'error' && !/^Failed to load resource|blocked by CORS policy/.test(text)) pageErrors.push(text);
  });
  return page;
}

/** POST /v1/classify from Node: the answer the page should show. */
async function apiClassify(target: WorkerUnderTest, body: Uint8Array, type: string): Promise<Classification> {
  const response = await target.fetch(CLASSIFY, { method: 'POST', headers: { 'Content-Type': type }, body: body as Bytes });
  expect(response.status).toBe(200);
  return (await response.json()) as Classification;
}

/** The predictions on the page once its status announces `what`. */
async function shownPredictions(page: Page, what: string): Promise<Shown[]> {
  await page.waitForFunction((text) => document.getElementById('status')?.textContent === text, `Prediction for ${what}:`);
  return page.$$eval('#predictions li', (items) =>
    items.map((item) => {
      const score = item.querySelector('data')!;
      return { label: item.querySelector('.label')!.textContent!, score: Number(score.value), text: score.textContent! };
    }),
  );
}

function expectSameAnswer(shown: Shown[], api: Classification): void {
  expect(shown.map(({ label, score }) => ({ label, score }))).toEqual(api.predictions.map(({ label, score }) => ({ label, score })));
  expect(shown.map((p) => p.text)).toEqual(api.predictions.map((p) => `${(p.score * 100).toFixed(1)}%`));
}

const screenshot = (page: Page, name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

/** A request as Chromium's DevTools saw it, preflights included. */
interface NetworkLog {
  requestId: string;
  method: string;
  url: string;
  contentType?: string;
  status?: number;
  /** DevTools' monotonic clock, in seconds, when the response headers arrived. */
  respondedAt?: number;
  corsError?: string;
}

/** What recordNetwork() saw of one page's requests. */
interface NetworkRecorder {
  /** The requests to `url` so far. Chromium may log a request before its own preflight. */
  calls(url: string): NetworkLog[];
  /** The exact body Chromium sent for a request (Playwright has none for Blob bodies). */
  body(call: NetworkLog): Promise<Buffer>;
}

async function recordNetwork(page: Page): Promise<NetworkRecorder> {
  // Through the DevTools protocol: Playwright's own request events leave CORS preflights out.
  const cdp = await page.context().newCDPSession(page);
  const byId = new Map<string, NetworkLog>();
  cdp.on('Network.requestWillBeSent', ({ requestId, request }) =>
    byId.set(requestId, { requestId, method: request.method, url: request.url, contentType: request.headers['Content-Type'] }),
  );
  cdp.on('Network.responseReceived', ({ requestId, response, timestamp }) => {
    const entry = byId.get(requestId);
    if (entry) Object.assign(entry, { status: response.status, respondedAt: timestamp });
  });
  cdp.on('Network.loadingFailed', ({ requestId, corsErrorStatus }) => {
    const entry = byId.get(requestId);
    if (entry && corsErrorStatus) entry.corsError = corsErrorStatus.corsError;
  });
  await cdp.send('Network.enable');
  return {
    calls: (url) => [...byId.values()].filter((entry) => entry.url === url),
    body: async ({ requestId }) => {
      const { postData, base64Encoded } = await cdp.send('Network.getRequestPostData', { requestId });
      return Buffer.from(postData, base64Encoded ? 'base64' : 'utf8');
    },
  };
}

/** The one classify POST a page made to `target`, and its body. */
/** The preflight and the POST of one cross-origin call, found by method: the log order varies. */
function preflightAndPost(calls: NetworkLog[]): { preflight: NetworkLog; post: NetworkLog } {
  expect(calls.map((entry) => entry.method).sort()).toEqual(['OPTIONS', 'POST']);
  return { preflight: calls.find((entry) => entry.method === 'OPTIONS')!, post: calls.find((entry) => entry.method === 'POST')! };
}

async function classifyPost(network: NetworkRecorder, target: WorkerUnderTest): Promise<{ contentType?: string; body: Buffer }> {
  const posts = network.calls(new URL(CLASSIFY, target.url).href).filter((call) => call.method === 'POST');
  expect(posts).toHaveLength(1);
  return { contentType: posts[0]!.contentType, body: await network.body(posts[0]!) };
}

describe('the demo page at /', () => {
  it('is served as HTML with a hash-based CSP, and / allows only GET and HEAD', async () => {
    const response = await worker.fetch('/');
    expect(response.status).toBe(200);
    expect(response.headers.get('Content-Type')).toMatch(/^text\/html/);
    expect(response.headers.get('Content-Security-Policy')).toMatch(/script-src 'sha256-[A-Za-z0-9+/]+=*'/);
    expect(await response.text()).toMatch(/^<!doctype html>/);
    expect((await worker.fetch('/', { method: 'HEAD' })).status).toBe(200);
    const post = await worker.fetch('/', { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('Allow')).toBe('GET, HEAD');
    await post.body?.cancel();
  });

  it('shows the served model and its test accuracy', async () => {
    const page = await openPage();
    await page.goto(worker.url.href);
    const asset = await decodeAsset(readFileSync(MODEL_FILE));
    const metrics = asset.metadata.metrics as { testAccuracy?: number } | undefined;
    expect(await page.textContent('#model-name')).toBe(asset.name);
    expect(await page.textContent('#model-version')).toBe(asset.version);
    if (metrics?.testAccuracy === undefined) {
      expect(await page.textContent('main')).toContain('recorded no test accuracy');
    } else {
      expect(await page.textContent('#accuracy')).toBe(`${(metrics.testAccuracy * 100).toFixed(1)}%`);
    }
    expect(await page.locator('.sample').count()).toBe(6);
    await screenshot(page, 'demo-loaded');
  });

  it('classifies a stroke drawn with the mouse as the API classifies the same drawing', async () => {
    const page = await openPage();
    const network = await recordNetwork(page);
    await page.goto(worker.url.href);
    const box = (await page.locator('#pad').boundingBox())!;
    const at = (x: number, y: number) => [box.x + x * box.width, box.y + y * box.height] as const;
    // A trouser-like shape: two legs joined at the top.
    await page.mouse.move(...at(0.35, 0.9));
    await page.mouse.down();
    for (const [x, y] of [[0.4, 0.1], [0.6, 0.1], [0.65, 0.9]] as const) await page.mouse.move(...at(x, y), { steps: 12 });
    await page.mouse.up();

    const shown = await shownPredictions(page, 'your drawing');
    expect(shown).toHaveLength(3);
    const sent = await classifyPost(network, worker);
    expect(sent.contentType).toBe('image/png');
    expectSameAnswer(shown, await apiClassify(worker, sent.body, 'image/png'));
    expect(await page.textContent('#latency')).toMatch(/^Round trip \d+ ms · in the Worker [\d.]+ ms \(.*read [\d.]+ ms.*decode [\d.]+ ms.*infer [\d.]+ ms/);
    await screenshot(page, 'demo-drawing');
  });

  it('takes a stroke drawn by touch on a phone-sized screen', async () => {
    const page = await openPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    await page.goto(worker.url.href);
    const box = (await page.locator('#pad').boundingBox())!;
    // Playwright only taps; a finger dragging across the pad goes through the DevTools protocol.
    const cdp = await page.context().newCDPSession(page);
    const touch = (type: 'touchStart' | 'touchMove' | 'touchEnd', x: number, y: number) =>
      cdp.send('Input.dispatchTouchEvent', { type, touchPoints: type === 'touchEnd' ? [] : [{ x: box.x + x * box.width, y: box.y + y * box.height }] });
    await touch('touchStart', 0.3, 0.2);
    for (let step = 1; step <= 10; step++) await touch('touchMove', 0.3 + step * 0.04, 0.2 + step * 0.06);
    await touch('touchEnd', 0, 0);
    const shown = await shownPredictions(page, 'your drawing');
    expect(shown).toHaveLength(3);
    expect(await page.evaluate(() => window.scrollY), 'the page did not scroll while drawing').toBe(0);
    await screenshot(page, 'demo-touch');
  });

  it('classifies an uploaded test image (PNG) exactly as the API does', async () => {
    const page = await openPage();
    await page.goto(worker.url.href);
    const png = toPng(images[1]!);
    await page.setInputFiles('#file', { name: 'test-image-1.png', mimeType: 'image/png', buffer: Buffer.from(png) });
    const shown = await shownPredictions(page, '“test-image-1.png”');
    expectSameAnswer(shown, await apiClassify(worker, png, 'image/png'));
    expect(await page.isVisible('#preview')).toBe(true);
    expect(await page.textContent('#error')).toBe('');
    await screenshot(page, 'demo-upload');
  });

  it('classifies a sample test image, chosen with the keyboard, from its exact bytes', async () => {
    const page = await openPage();
    const network = await recordNetwork(page);
    await page.goto(worker.url.href);
    // From the keyboard, found by its accessible name.
    await page.getByRole('button', { name: 'Test image 0: Ankle boot' }).focus();
    await page.keyboard.press('Enter');
    const shown = await shownPredictions(page, 'test image 0 (true label: Ankle boot)');
    expect(await classifyPost(network, worker)).toEqual({ contentType: 'application/octet-stream', body: Buffer.from(images[0]!) });
    expectSameAnswer(shown, await apiClassify(worker, images[0]!, 'application/octet-stream'));
    await screenshot(page, 'demo-sample');
  });

  it('explains a file that is not an image, and an image the server cannot read', async () => {
    const page = await openPage();
    await page.goto(worker.url.href);
    await page.setInputFiles('#file', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not a garment') });
    await page.waitForFunction(() => document.getElementById('error')?.textContent !== '');
    expect(await page.textContent('#error')).toBe('“notes.txt” is not an image (text/plain). Choose a PNG or JPEG photo of a garment.');
    expect(await page.locator('#predictions li').count()).toBe(0);
    await screenshot(page, 'demo-not-an-image');

    // Claims to be a PNG; the browser cannot tell, the Worker can, and its explanation reaches the user.
    const fake = Buffer.from('not a garment either');
    await page.setInputFiles('#file', { name: 'fake.png', mimeType: 'image/png', buffer: fake });
    await page.waitForFunction(() => document.getElementById('error')?.textContent?.startsWith('Could not classify “fake.png”: '));
    const refusal = await worker.fetch(CLASSIFY, { method: 'POST', headers: { 'Content-Type': 'image/png' }, body: fake });
    expect(refusal.status).toBe(415);
    const { detail } = (await refusal.json()) as { detail: string };
    expect(await page.textContent('#error')).toBe(`Could not classify “fake.png”: ${detail}`);
    expect(await page.isVisible('#preview'), 'no broken-image preview').toBe(false);
    await screenshot(page, 'demo-fake-png');
  });

  it('shrinks a large photo to 256 pixels a side before sending it', async () => {
    const page = await openPage();
    const network = await recordNetwork(page);
    await page.goto(worker.url.href);
    await page.setInputFiles('#file', { name: 'photo.png', mimeType: 'image/png', buffer: Buffer.from(noisyPhoto(images[3]!, 600)) });
    const shown = await shownPredictions(page, '“photo.png”');
    const sent = await classifyPost(network, worker);
    expect(sent.contentType).toBe('image/jpeg');
    expect(jpegSize(sent.body)).toEqual({ width: 256, height: 256 });
    expectSameAnswer(shown, await apiClassify(worker, sent.body, 'image/jpeg'));
    await screenshot(page, 'demo-large-photo');
  });
});

describe('the static-site example on another origin', () => {
  let site: StaticSite;
  let lockedDown: WorkerUnderTest;

  beforeAll(async () => {
    site = await serveDirectory(join(PROJECT_ROOT, 'examples'));
    // A deployment that lists its allowed origins, the example's not among them, and keeps bodies small.
    lockedDown = await startWorker({ bindings: { ALLOWED_ORIGINS: 'https://allowed.example', MAX_BODY_BYTES: '65536' } });
  });
  afterAll(async () => {
    await site?.close();
    await lockedDown?.dispose();
  });

  it('calls the Worker cross-origin, after a CORS preflight', async () => {
    const page = await openPage();
    const network = await recordNetwork(page);
    await page.goto(`${site.origin}/?endpoint=${encodeURIComponent(worker.url.href)}`);
    expect(await page.inputValue('#endpoint')).toBe(worker.url.href);
    expect(new URL(page.url()).origin).not.toBe(worker.url.origin);

    await page.getByRole('button', { name: /Send a sample/ }).click();
    await page.waitForSelector('#predictions li >> nth=2');
    const api = await apiClassify(worker, images[0]!, 'application/octet-stream');
    expect(await page.$$eval('#predictions li', (items) => items.map((item) => item.textContent))).toEqual(
      api.predictions.map((p) => `${p.label}: ${(p.score * 100).toFixed(1)}%`),
    );
    expect(await page.textContent('#status')).toBe(`Test image 0, according to ${api.model.name} version ${api.model.version}:`);

    const classifyUrl = new URL(CLASSIFY, worker.url).href;
    const { preflight, post } = preflightAndPost(network.calls(classifyUrl));
    expect([preflight.status, post.status]).toEqual([204, 200]);
    expect(preflight.respondedAt).toBeLessThan(post.respondedAt!);
    await screenshot(page, 'example-cross-origin');

    // An upload too: the file goes as it is, with its own type.
    const png = toPng(images[2]!);
    await page.setInputFiles('#file', { name: 'pullover.png', mimeType: 'image/png', buffer: Buffer.from(png) });
    await page.waitForFunction(() => document.getElementById('status')?.textContent?.startsWith('“pullover.png”'));
    const uploaded = await apiClassify(worker, png, 'image/png');
    expect(await page.textContent('#predictions li')).toBe(`${uploaded.predictions[0]!.label}: ${(uploaded.predictions[0]!.score * 100).toFixed(1)}%`);
  });

  it('is refused by a Worker whose ALLOWED_ORIGINS does not list the page, with a clear message', async () => {
    const page = await openPage();
    const network = await recordNetwork(page);
    await page.goto(`${site.origin}/?endpoint=${encodeURIComponent(lockedDown.url.href)}`);
    await page.getByRole('button', { name: /Send a sample/ }).click();
    await page.waitForFunction(() => document.getElementById('error')?.textContent !== '');
    expect(await page.textContent('#error')).toBe(
      `The browser could not call ${lockedDown.url.href} from ${site.origin}: either nothing answers at that URL, ` +
        `or the Worker's ALLOWED_ORIGINS does not include ${site.origin}. The browser console says which.`,
    );
    expect(await page.locator('#predictions li').count()).toBe(0);
    // The preflight was answered (the Worker is up) but without Access-Control-Allow-Origin, so
    // Chromium never sent the POST.
    const classifyUrl = new URL(CLASSIFY, lockedDown.url).href;
    const { preflight, post } = preflightAndPost(network.calls(classifyUrl));
    expect(preflight.status).toBe(204);
    expect(post.status).toBeUndefined();
    expect(post.corsError).toBe('PreflightMissingAllowOriginHeader');
    await screenshot(page, 'example-refused');
  });

  it('keeps the demo page working on that Worker, and shrinks a photo above its body limit', async () => {
    const page = await openPage();
    const network = await recordNetwork(page);
    // Same-origin, so the allow-list does not apply: the page must not depend on it.
    await page.goto(lockedDown.url.href);
    expect(await page.getAttribute('main', 'data-max-body-bytes')).toBe('65536');
    // Small enough in pixels to go as it is, but not in bytes.
    const photo = noisyPhoto(images[3]!, 240);
    expect(photo.length).toBeGreaterThan(65536);
    await page.setInputFiles('#file', { name: 'photo.png', mimeType: 'image/png', buffer: Buffer.from(photo) });
    const shown = await shownPredictions(page, '“photo.png”');
    const sent = await classifyPost(network, lockedDown);
    expect(sent.contentType).toBe('image/jpeg');
    expect(sent.body.length).toBeLessThanOrEqual(65536);
    expect(jpegSize(sent.body)).toEqual({ width: 240, height: 240 });
    expectSameAnswer(shown, await apiClassify(lockedDown, sent.body, 'image/jpeg'));
    await screenshot(page, 'demo-over-body-limit');
  });
});

/** `image` scaled up to `size` pixels a side as RGB, with noise, as PNG: a stand-in for a photo. */
function noisyPhoto(image: Uint8Array, size: number): Uint8Array {
  const rgb = new Uint8Array(size * size * 3);
  let seed = 1;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const value = image[Math.floor((y * 28) / size) * 28 + Math.floor((x * 28) / size)]!;
      for (let c = 0; c < 3; c++) {
        seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff; // seeded, so the file is the same every run
        rgb[(y * size + x) * 3 + c] = Math.max(0, Math.min(255, value + ((seed >> 16) % 21) - 10));
      }
    }
  }
  return encodePng({ width: size, height: size, data: rgb, channels: 3, depth: 8 });
}

function jpegSize(bytes: Uint8Array): { width: number; height: number } {
  const { width, height } = jpeg.decode(bytes, { useTArray: true });
  return { width, height };
}
