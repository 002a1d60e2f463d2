/**
 * The demo page in a real browser: Debian's Chromium, driven by playwright-core, against the real
 * Worker bundle in workerd. It classifies through the browser helper (/client.js). Screenshots of
 * every state land in test-artifacts/browser/ for a human to look at.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decode as decodePng, encode as encodePng } from 'fast-png';
import jpeg from 'jpeg-js';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeAsset } from '../../classifier/asset-format.ts';
import { PROJECT_ROOT } from '../../project-root.ts';
import { testImages, toPng } from '../../harness/dataset.ts';
import { startWorker, type WorkerUnderTest } from '../../harness/worker/start-worker.ts';
import { launchChromium } from '../../harness/browser/chromium.ts';
import { onlyPost, recordNetwork, type NetworkRecorder } from '../../harness/browser/network.ts';
import { apiClassify, CLASSIFY, type Classification } from './classify-call.ts';
import { Pages, PHONE } from './pages.ts';

const ARTIFACTS = join(PROJECT_ROOT, 'test-artifacts', 'browser');
const MODEL_FILE = join(PROJECT_ROOT, 'models', 'fashion-mnist-mlp.bin');
const { images } = testImages(4);

/** A prediction as the page shows it: label text, the machine-readable score, and the score text. */
interface Shown {
  label: string;
  score: number;
  text: string;
}

let worker: WorkerUnderTest;
let browser: Browser;
const pages = new Pages(() => browser);

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  [worker, browser] = await Promise.all([startWorker(), launchChromium()]);
});
afterAll(async () => {
  await browser?.close();
  await worker?.dispose();
});
afterEach(async () => {
  expect(await pages.closeAll(), 'script errors or CSP violations in the page').toEqual([]);
});

/** The predictions on the page once its status announces `what`. */
async function shownPredictions(page: Page, what: string): Promise<Shown[]> {
  await page.waitForFunction(
    (text) => document.getElementById('status')?.textContent === text,
    `Prediction for ${what}:`,
  );
  return page.$$eval('#predictions li', (items) =>
    items.map((item) => {
      const score = item.querySelector('data')!;
      return {
        label: item.querySelector('.label')!.textContent!,
        score: Number(score.value),
        text: score.textContent!,
      };
    }),
  );
}

/** The page shows the API's answer for the same bytes: predictions, and the image the model saw. */
async function expectSameAnswer(page: Page, shown: Shown[], api: Classification): Promise<void> {
  expect(shown.map(({ label, score }) => ({ label, score }))).toEqual(
    api.predictions.map(({ label, score }) => ({ label, score })),
  );
  expect(shown.map((p) => p.text)).toEqual(
    api.predictions.map((p) => `${(p.score * 100).toFixed(1)}%`),
  );
  expect(await page.getAttribute('#model-input', 'src')).toBe(api.input);
  expect(await page.isVisible('#model-input')).toBe(true);
}

const screenshot = (page: Page, name: string, fullPage = true) =>
  page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage });

const classifyPost = (network: NetworkRecorder, target: WorkerUnderTest) =>
  onlyPost(network, new URL(CLASSIFY, target.url).href);

/** Drags the mouse through `points` (fractions of the pad) with the button down. */
async function drawWithMouse(
  page: Page,
  points: readonly (readonly [number, number])[],
): Promise<void> {
  const box = (await page.locator('#pad').boundingBox())!;
  const at = (x: number, y: number) => [box.x + x * box.width, box.y + y * box.height] as const;
  await page.mouse.move(...at(...points[0]!));
  await page.mouse.down();
  for (const [x, y] of points.slice(1)) await page.mouse.move(...at(x, y), { steps: 12 });
  await page.mouse.up();
}

/** How many pixels of the drawing pad are not black. */
const inkedPixels = (page: Page) =>
  page.$eval('#pad', (pad) => {
    const { data } = (pad as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, 280, 280);
    let count = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i]! > 0) count++;
    return count;
  });

describe('the demo page at /', () => {
  it('is served as HTML with a CSP that admits its own script by hash and the helper by origin', async () => {
    const response = await worker.fetch('/');
    expect(response.status).toBe(200);
    expect(response.headers.get('Content-Type')).toMatch(/^text\/html/);
    expect(response.headers.get('Content-Security-Policy')).toMatch(
      /script-src 'self' 'sha256-[A-Za-z0-9+/]+=*'(;|$)/,
    );
    expect(await response.text()).toMatch(/^<!doctype html>/);
    expect((await worker.fetch('/', { method: 'HEAD' })).status).toBe(200);
    const post = await worker.fetch('/', { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('Allow')).toBe('GET, HEAD');
    await post.body?.cancel();
  });

  it('shows the served model, its test accuracy, and links to the API description and the helper', async () => {
    const page = await pages.open();
    await page.goto(worker.url.href);
    const asset = await decodeAsset(readFileSync(MODEL_FILE));
    const metrics = asset.metadata.metrics as { testAccuracy?: number } | undefined;
    expect(await page.textContent('#model-name')).toBe(asset.name);
    expect(await page.textContent('#model-version')).toBe(asset.version);
    if (metrics?.testAccuracy === undefined) {
      expect(await page.textContent('main')).toContain('recorded no test accuracy');
    } else {
      expect(await page.textContent('#accuracy')).toBe(
        `${(metrics.testAccuracy * 100).toFixed(1)}%`,
      );
    }
    expect(await page.locator('.sample').count()).toBe(6);
    for (const path of ['/openapi.json', '/client.js']) {
      const href = await page.locator(`footer a[href="${path}"]`).getAttribute('href');
      expect((await worker.fetch(href!)).status, path).toBe(200);
    }
    expect(await page.textContent('footer')).toContain('examples/index.html');
    await screenshot(page, 'demo-loaded');
  });

  it('classifies a stroke drawn with the mouse as the API classifies the same drawing, and shows the 28x28 input', async () => {
    const page = await pages.open();
    const network = await recordNetwork(page);
    await page.goto(worker.url.href);
    // A trouser-like shape: two legs joined at the top.
    await drawWithMouse(page, [
      [0.35, 0.9],
      [0.4, 0.1],
      [0.6, 0.1],
      [0.65, 0.9],
    ]);
    const shown = await shownPredictions(page, 'your drawing');
    expect(shown).toHaveLength(3);
    const sent = await classifyPost(network, worker);
    expect(sent.contentType).toBe('image/png');
    await expectSameAnswer(page, shown, await apiClassify(worker, sent.body, 'image/png'));
    expect(
      await page.isVisible('#preview'),
      'no separate preview of a drawing: the pad shows it',
    ).toBe(false);
    expect(await page.textContent('#latency')).toMatch(
      /^Round trip \d+ ms · in the Worker [\d.]+ ms \(.*read [\d.]+ ms.*decode [\d.]+ ms.*infer [\d.]+ ms/,
    );
    await screenshot(page, 'demo-drawing');
  });

  it('on a phone-sized screen takes a stroke drawn by touch and shows the top result without scrolling', async () => {
    const page = await pages.open(PHONE);
    await page.goto(worker.url.href);
    const box = (await page.locator('#pad').boundingBox())!;
    // Playwright only taps; a finger dragging across the pad goes through the DevTools protocol.
    const cdp = await page.context().newCDPSession(page);
    const touch = (type: 'touchStart' | 'touchMove' | 'touchEnd', x: number, y: number) =>
      cdp.send('Input.dispatchTouchEvent', {
        type,
        touchPoints:
          type === 'touchEnd' ? [] : [{ x: box.x + x * box.width, y: box.y + y * box.height }],
      });
    await touch('touchStart', 0.3, 0.2);
    for (let step = 1; step <= 10; step++)
      await touch('touchMove', 0.3 + step * 0.04, 0.2 + step * 0.06);
    await touch('touchEnd', 0, 0);
    const shown = await shownPredictions(page, 'your drawing');
    expect(shown).toHaveLength(3);
    expect(await page.evaluate(() => window.scrollY), 'the page did not scroll while drawing').toBe(
      0,
    );
    const top = (await page.locator('#predictions li').first().boundingBox())!;
    expect(top.y, 'the top result starts on screen').toBeGreaterThanOrEqual(0);
    expect(
      top.y + top.height,
      'the top result ends within the 844-pixel viewport',
    ).toBeLessThanOrEqual(844);
    await screenshot(page, 'demo-phone-drawing', false);
  });

  it('classifies an uploaded test image (PNG) exactly as the API does, with a preview', async () => {
    const page = await pages.open();
    await page.goto(worker.url.href);
    const png = toPng(images[1]!);
    await page.setInputFiles('#file', {
      name: 'test-image-1.png',
      mimeType: 'image/png',
      buffer: Buffer.from(png),
    });
    const shown = await shownPredictions(page, '“test-image-1.png”');
    await expectSameAnswer(page, shown, await apiClassify(worker, png, 'image/png'));
    await page.waitForSelector('#preview', { state: 'visible' });
    expect(await page.textContent('#error')).toBe('');
    await screenshot(page, 'demo-upload');
  });

  it('shows a chosen sample in its own preview, and the next drawing starts on a clean pad', async () => {
    const page = await pages.open();
    const network = await recordNetwork(page);
    await page.goto(worker.url.href);
    await drawWithMouse(page, [
      [0.1, 0.1],
      [0.3, 0.3],
    ]);
    await shownPredictions(page, 'your drawing');
    expect(await inkedPixels(page)).toBeGreaterThan(0);

    // From the keyboard, found by its accessible name.
    await page.getByRole('button', { name: 'Test image 0: Ankle boot' }).focus();
    await page.keyboard.press('Enter');
    const shown = await shownPredictions(page, 'test image 0 (true label: Ankle boot)');
    const posts = () =>
      network.calls(new URL(CLASSIFY, worker.url).href).filter((call) => call.method === 'POST');
    expect(posts()).toHaveLength(2);
    expect(posts()[1]!.contentType).toBe('application/octet-stream');
    expect(await network.body(posts()[1]!), 'the sample goes as its exact 784 bytes').toEqual(
      Buffer.from(images[0]!),
    );
    await expectSameAnswer(
      page,
      shown,
      await apiClassify(worker, images[0]!, 'application/octet-stream'),
    );
    await page.waitForSelector('#preview', { state: 'visible' });
    expect(await page.getAttribute('#preview', 'alt')).toBe('Test image 0: Ankle boot');
    expect(
      await inkedPixels(page),
      'the sample is not drawn on the pad, and the old drawing is gone',
    ).toBe(0);
    await screenshot(page, 'demo-sample');

    // A stroke in the lower right: the drawing sent has nothing in the upper left.
    await drawWithMouse(page, [
      [0.6, 0.6],
      [0.85, 0.85],
    ]);
    await shownPredictions(page, 'your drawing');
    const drawing = decodePng(await network.body(posts()[2]!));
    const channels = drawing.channels;
    let upperLeftInk = 0;
    for (let y = 0; y < 140; y++)
      for (let x = 0; x < 140; x++)
        upperLeftInk += drawing.data[(y * drawing.width + x) * channels]! > 0 ? 1 : 0;
    expect(upperLeftInk).toBe(0);
    expect(await page.isVisible('#preview')).toBe(false);
  });

  it('reflects a dropped file in the file input, and classifies it', async () => {
    const page = await pages.open();
    await page.goto(worker.url.href);
    const png = Array.from(toPng(images[3]!));
    await page.evaluate((bytes) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([new Uint8Array(bytes)], 'dropped.png', { type: 'image/png' }));
      document
        .getElementById('drop')!
        .dispatchEvent(
          new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }),
        );
    }, png);
    const shown = await shownPredictions(page, '“dropped.png”');
    expect(
      await page.$eval('#file', (input) =>
        Array.from((input as HTMLInputElement).files ?? [], (file) => file.name),
      ),
    ).toEqual(['dropped.png']);
    await expectSameAnswer(
      page,
      shown,
      await apiClassify(worker, new Uint8Array(png), 'image/png'),
    );
    await page.waitForSelector('#preview', { state: 'visible' });
    expect(
      await page.getAttribute('#preview', 'class'),
      'a 28x28 image is enlarged as crisp pixels',
    ).toBe('pixelated');
    await screenshot(page, 'demo-dropped');
  });

  it('explains a file that is not an image, and an image the server cannot read', async () => {
    const page = await pages.open();
    await page.goto(worker.url.href);
    await page.setInputFiles('#file', {
      name: 'notes.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('not a garment'),
    });
    await page.waitForFunction(() => document.getElementById('error')?.textContent !== '');
    expect(await page.textContent('#error')).toBe(
      '“notes.txt” is not an image (text/plain). Choose a PNG or JPEG photo of a garment.',
    );
    expect(await page.locator('#predictions li').count()).toBe(0);
    await screenshot(page, 'demo-not-an-image');

    // Claims to be a PNG; the browser cannot decode it, so the helper sends it for the Worker to
    // explain, and its explanation reaches the user.
    const fake = Buffer.from('not a garment either');
    await page.setInputFiles('#file', { name: 'fake.png', mimeType: 'image/png', buffer: fake });
    await page.waitForFunction(() =>
      document.getElementById('error')?.textContent?.startsWith('Could not classify “fake.png”: '),
    );
    const refusal = await worker.fetch(CLASSIFY, {
      method: 'POST',
      headers: { 'Content-Type': 'image/png' },
      body: fake,
    });
    expect(refusal.status).toBe(415);
    const { detail } = (await refusal.json()) as { detail: string };
    expect(await page.textContent('#error')).toBe(`Could not classify “fake.png”: ${detail}`);
    expect(await page.isVisible('#preview'), 'no broken-image preview').toBe(false);
    await screenshot(page, 'demo-fake-png');
  });

  it('shrinks a large photo to 512 pixels a side, as a JPEG once a PNG would be large', async () => {
    const page = await pages.open();
    const network = await recordNetwork(page);
    await page.goto(worker.url.href);
    await page.setInputFiles('#file', {
      name: 'photo.png',
      mimeType: 'image/png',
      buffer: Buffer.from(noisyPhoto(images[3]!, 600)),
    });
    const shown = await shownPredictions(page, '“photo.png”');
    const sent = await classifyPost(network, worker);
    expect(sent.contentType).toBe('image/jpeg');
    expect(jpegSize(sent.body)).toEqual({ width: 512, height: 512 });
    await expectSameAnswer(page, shown, await apiClassify(worker, sent.body, 'image/jpeg'));
    await screenshot(page, 'demo-large-photo');
  });

  it('looks right on a phone after choosing a sample', async () => {
    const page = await pages.open(PHONE);
    await page.goto(worker.url.href);
    await page.getByRole('button', { name: 'Test image 1: Pullover' }).click();
    await shownPredictions(page, 'test image 1 (true label: Pullover)');
    await page.waitForSelector('#preview', { state: 'visible' });
    expect(await page.isVisible('#model-input')).toBe(true);
    await screenshot(page, 'demo-phone-sample');
  });
});

describe('a Worker with a small MAX_BODY_BYTES', () => {
  let small: WorkerUnderTest;
  beforeAll(async () => {
    small = await startWorker({ bindings: { MAX_BODY_BYTES: '65536' } });
  });
  afterAll(() => small?.dispose());

  it('still gets photos from the demo page within its limit', async () => {
    const page = await pages.open();
    const network = await recordNetwork(page);
    await page.goto(small.url.href);
    // Small enough in pixels to go as it is, but not in bytes.
    const photo = noisyPhoto(images[3]!, 240);
    expect(photo.length).toBeGreaterThan(65536);
    await page.setInputFiles('#file', {
      name: 'photo.png',
      mimeType: 'image/png',
      buffer: Buffer.from(photo),
    });
    const shown = await shownPredictions(page, '“photo.png”');
    const sent = await classifyPost(network, small);
    expect(sent.contentType).toBe('image/jpeg');
    expect(sent.body.length).toBeLessThanOrEqual(65536);
    expect(jpegSize(sent.body)).toEqual({ width: 240, height: 240 });
    await expectSameAnswer(page, shown, await apiClassify(small, sent.body, 'image/jpeg'));
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
