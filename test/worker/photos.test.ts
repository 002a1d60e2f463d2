/**
 * Photos as people send them, through the real Worker in workerd: camera-sized JPEG (24 MP baseline,
 * 12 MP progressive), WebP on every route that takes images, and formats only Cloudflare Images
 * decodes (AVIF) with and without the binding. Each photo is a Fashion-MNIST test garment rendered by
 * harness/photos/render.ts; the bar is the label the same Worker gives the raw 28x28 image.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FASHION_MNIST_LABELS } from '../../classifier/labels.ts';
import { CONDITIONS } from '../../harness/photos/conditions.ts';
import { renderRgb, type Condition } from '../../harness/photos/render.ts';
import { base64, testImages } from '../../harness/dataset.ts';
import { startWorker, type WorkerUnderTest } from '../../harness/worker/start-worker.ts';

const PLAIN = CONDITIONS[0]!;
let worker: WorkerUnderTest;
let bound: WorkerUnderTest;
/** A test image the Worker classifies correctly and confidently from its raw 28x28 pixels, and that label. */
let chosen: { image: Uint8Array; label: string };

interface Answer {
  predictions?: { label: string; score: number }[];
  detail?: string;
}

async function classify(
  target: WorkerUnderTest,
  body: Uint8Array,
  type: string,
): Promise<{ status: number; answer: Answer }> {
  const response = await target.fetch('/v1/classify', {
    method: 'POST',
    headers: { 'content-type': type },
    body: Buffer.from(body),
  });
  return { status: response.status, answer: (await response.json()) as Answer };
}

/** The chosen garment photographed in a `width` x `height` frame, as raw RGB for sharp. */
function photo(width: number, height: number): sharp.Sharp {
  const condition: Condition = { ...PLAIN, width, height };
  return sharp(renderRgb(chosen.image, condition, 1), { raw: { width, height, channels: 3 } });
}

beforeAll(async () => {
  [worker, bound] = await Promise.all([startWorker(), startWorker({ images: true })]);
  const { images, labels } = testImages(20);
  for (const [i, image] of images.entries()) {
    const { answer } = await classify(worker, image, 'application/octet-stream');
    const top = answer.predictions![0]!;
    if (top.label === FASHION_MNIST_LABELS[labels[i]!] && top.score > 0.9) {
      chosen = { image, label: top.label };
      break;
    }
  }
  expect(chosen).toBeDefined();
});

afterAll(async () => {
  await Promise.all([worker?.dispose(), bound?.dispose()]);
});

describe('camera-sized JPEG photos', () => {
  it(
    'a 24 MP (6000x4000) baseline JPEG is classified like the raw image',
    { timeout: 120_000 },
    async () => {
      const jpeg = new Uint8Array(
        await photo(6000, 4000).jpeg({ quality: 90, chromaSubsampling: '4:2:0' }).toBuffer(),
      );
      const { status, answer } = await classify(worker, jpeg, 'image/jpeg');
      expect(status, answer.detail).toBe(200);
      expect(answer.predictions![0]!.label).toBe(chosen.label);
    },
  );

  it(
    'a 12 MP (4032x3024) progressive JPEG is classified like the raw image',
    { timeout: 120_000 },
    async () => {
      const jpeg = new Uint8Array(
        await photo(4032, 3024).jpeg({ quality: 90, progressive: true }).toBuffer(),
      );
      const { status, answer } = await classify(worker, jpeg, 'image/jpeg');
      expect(status, answer.detail).toBe(200);
      expect(answer.predictions![0]!.label).toBe(chosen.label);
    },
  );

  it('a photo over 25 MP is refused with 413 from its header', async () => {
    // A 1-row image declaring 7000x4000 in its frame header: refused before any decoding.
    const small = new Uint8Array(
      await sharp({ create: { width: 16, height: 16, channels: 3, background: '#fff' } })
        .jpeg()
        .toBuffer(),
    );
    const sof = small.findIndex((b, i) => b === 0xff && small[i + 1] === 0xc0);
    const huge = small.slice();
    new DataView(huge.buffer).setUint16(sof + 5, 4000);
    new DataView(huge.buffer).setUint16(sof + 7, 7000);
    const { status, answer } = await classify(worker, huge, 'image/jpeg');
    expect(status).toBe(413);
    expect(answer.detail).toMatch(/7000x4000/);
  });
});

describe('WebP', () => {
  it('lossy and lossless WebP photos are classified on /v1/classify and as TF Serving base64 instances', async () => {
    for (const options of [{ quality: 85 }, { lossless: true }]) {
      const webp = new Uint8Array(await photo(1024, 768).webp(options).toBuffer());
      const { status, answer } = await classify(worker, webp, 'image/webp');
      expect(status, answer.detail).toBe(200);
      expect(answer.predictions![0]!.label).toBe(chosen.label);
      const predict = await worker.fetch('/v1/models/fashion-mnist:predict', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ instances: [{ b64: base64(webp) }] }),
      });
      expect(predict.status).toBe(200);
    }
  });

  it('a WebP body declared as PNG gets 415 naming what it is', async () => {
    const webp = new Uint8Array(await photo(64, 48).webp().toBuffer());
    const { status, answer } = await classify(worker, webp, 'image/png');
    expect(status).toBe(415);
    expect(answer.detail).toMatch(/declares image\/png, but the bytes are a WebP image/);
  });
});

describe('formats only Cloudflare Images decodes', () => {
  it('an AVIF photo is classified through the binding when it is bound', async () => {
    const avif = new Uint8Array(await photo(900, 600).avif({ quality: 70 }).toBuffer());
    const { status, answer } = await classify(bound, avif, 'image/avif');
    expect(status, answer.detail).toBe(200);
    expect(answer.predictions![0]!.label).toBe(chosen.label);
  });

  it('without the binding, AVIF gets 415 naming the wrangler.toml option', async () => {
    const avif = new Uint8Array(await photo(90, 60).avif().toBuffer());
    const { status, answer } = await classify(worker, avif, 'image/avif');
    expect(status).toBe(415);
    expect(answer.detail).toMatch(/\[images\] binding = "IMAGES"/);
  });

  it(
    'with the binding, a 12 MP JPEG goes through it and is classified like the raw image',
    { timeout: 120_000 },
    async () => {
      const jpeg = new Uint8Array(await photo(4032, 3024).jpeg({ quality: 90 }).toBuffer());
      const { status, answer } = await classify(bound, jpeg, 'image/jpeg');
      expect(status, answer.detail).toBe(200);
      expect(answer.predictions![0]!.label).toBe(chosen.label);
    },
  );
});
