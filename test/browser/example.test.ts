/**
 * The static-site example (examples/index.html) on an origin of its own, in Chromium, against the
 * real Worker bundle in workerd: it imports the browser helper from the Worker (GET /client.js),
 * which shrinks camera photos before posting them and turns EXIF-rotated ones upright.
 */
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FASHION_MNIST_LABELS } from '../../classifier/labels.ts';
import { PROJECT_ROOT } from '../../project-root.ts';
import { testImages, toPng } from '../../harness/dataset.ts';
import { startWorker, type WorkerUnderTest } from '../../harness/worker/start-worker.ts';
import { launchChromium, serveDirectory, type StaticSite } from '../../harness/browser/chromium.ts';
import { onlyPost, preflightAndPost, recordNetwork } from '../../harness/browser/network.ts';
import { apiClassify, CLASSIFY, type Classification } from './classify-call.ts';
import { Pages } from './pages.ts';
import {
  garmentPhoto,
  PHOTO_HEIGHT,
  PHOTO_WIDTH,
  sidewaysPhoto,
} from '../../harness/browser/photos.ts';

const ARTIFACTS = join(PROJECT_ROOT, 'test-artifacts', 'browser');
/** Test image 2, a trouser: the garment of the photos. */
const GARMENT = 2;
const { images, labels } = testImages(GARMENT + 1);

let worker: WorkerUnderTest;
let lockedDown: WorkerUnderTest;
let site: StaticSite;
let browser: Browser;
const pages = new Pages(() => browser);

beforeAll(async () => {
  // A deployment that lists its allowed origins, the example's not among them.
  [worker, lockedDown, site, browser] = await Promise.all([
    startWorker(),
    startWorker({ bindings: { ALLOWED_ORIGINS: 'https://allowed.example' } }),
    serveDirectory(join(PROJECT_ROOT, 'examples')),
    launchChromium(),
  ]);
});
afterAll(async () => {
  await browser?.close();
  await Promise.all([site?.close(), worker?.dispose(), lockedDown?.dispose()]);
});
afterEach(async () => {
  expect(await pages.closeAll(), 'script errors or CSP violations in the page').toEqual([]);
});

const shown = (page: Page) =>
  page.$$eval('#predictions li', (items) => items.map((item) => item.textContent));
const asShown = (answer: Classification) =>
  answer.predictions.map((p) => `${p.label}: ${(p.score * 100).toFixed(1)}%`);

/** The example page on its own origin, pointed at `target`. */
async function openExample(target: WorkerUnderTest): Promise<Page> {
  const page = await pages.open();
  await page.goto(`${site.origin}/?endpoint=${encodeURIComponent(target.url.href)}`);
  expect(new URL(page.url()).origin).not.toBe(target.url.origin);
  return page;
}

async function choosePhoto(page: Page, name: string, photo: Buffer): Promise<void> {
  await page.setInputFiles('#file', { name, mimeType: 'image/jpeg', buffer: photo });
  await page.waitForFunction(
    (file) =>
      document.getElementById('status')?.textContent?.startsWith(`“${file}”`) ||
      document.getElementById('error')?.textContent,
    name,
  );
  expect(await page.textContent('#error')).toBe('');
}

describe('the static-site example on another origin', () => {
  it('loads the helper from the Worker and classifies cross-origin, after a CORS preflight', async () => {
    const page = await pages.open();
    const network = await recordNetwork(page);
    await page.goto(`${site.origin}/?endpoint=${encodeURIComponent(worker.url.href)}`);
    expect(await page.inputValue('#endpoint')).toBe(worker.url.href);

    await page.getByRole('button', { name: /Send a sample/ }).click();
    await page.waitForSelector('#predictions li >> nth=2');
    const api = await apiClassify(worker, images[0]!, 'application/octet-stream');
    expect(await shown(page)).toEqual(asShown(api));
    expect(await page.textContent('#status')).toBe(
      `Test image 0, according to ${api.model.name} version ${api.model.version}:`,
    );
    expect(await page.getAttribute('#seen', 'src')).toBe(api.input);

    const module = network.calls(new URL('/client.js', worker.url).href);
    expect(module.map((call) => [call.method, call.status])).toEqual([['GET', 200]]);
    const { preflight, post } = preflightAndPost(network.calls(new URL(CLASSIFY, worker.url).href));
    expect([preflight.status, post.status]).toEqual([204, 200]);
    expect(preflight.respondedAt).toBeLessThan(post.respondedAt!);
    await page.screenshot({ path: join(ARTIFACTS, 'example-cross-origin.png'), fullPage: true });

    // A small PNG goes as it is, with its own type.
    const png = toPng(images[1]!);
    await page.setInputFiles('#file', {
      name: 'pullover.png',
      mimeType: 'image/png',
      buffer: Buffer.from(png),
    });
    await page.waitForFunction(() =>
      document.getElementById('status')?.textContent?.startsWith('“pullover.png”'),
    );
    expect(await shown(page)).toEqual(asShown(await apiClassify(worker, png, 'image/png')));
    const posts = network
      .calls(new URL(CLASSIFY, worker.url).href)
      .filter((call) => call.method === 'POST');
    expect(await network.body(posts[1]!)).toEqual(Buffer.from(png));
  });

  it('sends a 12-megapixel camera JPEG as a photo of at most 512 pixels, and it is classified correctly', async () => {
    const photo = await garmentPhoto(images[GARMENT]!);
    // Posted as it is, the Worker decodes it too (at 1/8 scale), at tens of ms of its CPU time; the
    // helper spares it that.
    const direct = await worker.fetch('/v1/classify', {
      method: 'POST',
      headers: { 'Content-Type': 'image/jpeg' },
      body: new Uint8Array(photo),
    });
    expect(direct.status).toBe(200);
    const directAnswer = (await direct.json()) as { predictions: { label: string }[] };
    expect(directAnswer.predictions[0]!.label).toBe(FASHION_MNIST_LABELS[labels[GARMENT]!]);

    const page = await openExample(worker);
    const network = await recordNetwork(page);
    await choosePhoto(page, 'IMG_0001.jpg', photo);
    const sent = await onlyPost(network, new URL(CLASSIFY, worker.url).href);
    expect(sent.contentType).toBe('image/jpeg');
    const { width, height } = jpeg.decode(sent.body, { useTArray: true });
    expect({ width, height }).toEqual({
      width: 512,
      height: Math.round((512 * PHOTO_HEIGHT) / PHOTO_WIDTH),
    });
    expect(sent.body.length, 'bytes the Worker received').toBeLessThan(100_000);

    const api = await apiClassify(worker, sent.body, 'image/jpeg');
    expect(await shown(page)).toEqual(asShown(api));
    expect(api.predictions[0]!.label).toBe(FASHION_MNIST_LABELS[labels[GARMENT]!]);
    await page.screenshot({ path: join(ARTIFACTS, 'example-camera-photo.png'), fullPage: true });
  });

  it('turns a photo stored sideways upright by its EXIF orientation', async () => {
    const { withExif, withoutExif } = await sidewaysPhoto(images[GARMENT]!);
    const page = await openExample(worker);
    const network = await recordNetwork(page);
    await choosePhoto(page, 'IMG_0002.jpg', withExif);
    const sent = await onlyPost(network, new URL(CLASSIFY, worker.url).href);
    const { width, height } = jpeg.decode(sent.body, { useTArray: true });
    // Stored portrait; landscape as displayed, as the upright photo is.
    expect({ width, height }).toEqual({
      width: 512,
      height: Math.round((512 * PHOTO_HEIGHT) / PHOTO_WIDTH),
    });
    const upright = (await shown(page))[0];
    expect(upright).toMatch(new RegExp(`^${FASHION_MNIST_LABELS[labels[GARMENT]!]}: `));

    // The test could fail: the same pixels without the orientation are a sideways trouser, which
    // the model takes for something else.
    await choosePhoto(page, 'IMG_0003.jpg', withoutExif);
    expect(await page.$eval('#status', (status) => status.textContent)).toMatch(/^“IMG_0003\.jpg”/);
    expect((await shown(page))[0]).not.toMatch(
      new RegExp(`^${FASHION_MNIST_LABELS[labels[GARMENT]!]}: `),
    );
  });

  it('is refused by a Worker whose ALLOWED_ORIGINS does not list the page, with a clear message', async () => {
    const page = await openExample(lockedDown);
    const network = await recordNetwork(page);
    await page.getByRole('button', { name: /Send a sample/ }).click();
    await page.waitForFunction(() => document.getElementById('error')?.textContent !== '');
    expect(await page.textContent('#error')).toBe(
      `The browser could not call ${lockedDown.url.href} from ${site.origin}: either nothing answers at that URL, ` +
        `or the Worker's ALLOWED_ORIGINS does not include ${site.origin}. The browser console says which.`,
    );
    expect(await page.locator('#predictions li').count()).toBe(0);
    // The helper loads (it is public), the preflight is answered (the Worker is up) but without
    // Access-Control-Allow-Origin, so Chromium never sent the POST.
    expect(
      network.calls(new URL('/client.js', lockedDown.url).href).map((call) => call.status),
    ).toEqual([200]);
    const { preflight, post } = preflightAndPost(
      network.calls(new URL(CLASSIFY, lockedDown.url).href),
    );
    expect(preflight.status).toBe(204);
    expect(post.status).toBeUndefined();
    expect(post.corsError).toBe('PreflightMissingAllowOriginHeader');
    await page.screenshot({ path: join(ARTIFACTS, 'example-refused.png'), fullPage: true });
  });
});
