/**
 * POST /v1/classify?include=input: the answer carries the 28x28 image the model classified, as a
 * PNG data URL, for every request encoding. Decoded here with fast-png, independently of the
 * Worker's encoder, and checked against the pixels each encoding must produce.
 */
import { decode } from 'fast-png';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorker, type WorkerUnderTest } from '../../harness/worker/start-worker.ts';
import { testImages, toPng, type Bytes } from '../../harness/dataset.ts';
import { expectProblem } from './expect.ts';

interface Classification {
  predictions: { label: string; index: number; score: number }[];
  input?: string;
}

const { images } = testImages(3);
const image = images[1]!;
const PREFIX = 'data:image/png;base64,';

let worker: WorkerUnderTest;
beforeAll(async () => {
  worker = await startWorker();
});
afterAll(() => worker?.dispose());

async function classify(
  body: Bytes | string,
  type: string,
  query = '?include=input&top=10',
): Promise<Classification> {
  const response = await worker.fetch(`/v1/classify${query}`, {
    method: 'POST',
    headers: { 'Content-Type': type },
    body,
  });
  const text = await response.text();
  expect(response.status, text).toBe(200);
  return JSON.parse(text) as Classification;
}

/** The 784 pixels of an answer's `input`, which must be a 28x28 8-bit grayscale PNG data URL. */
function inputPixels(answer: Classification): Uint8Array {
  expect(answer.input?.startsWith(PREFIX), answer.input?.slice(0, 40)).toBe(true);
  const png = decode(Buffer.from(answer.input!.slice(PREFIX.length), 'base64'), { checkCrc: true });
  expect({
    width: png.width,
    height: png.height,
    channels: png.channels,
    depth: png.depth,
  }).toEqual({ width: 28, height: 28, channels: 1, depth: 8 });
  return new Uint8Array(png.data);
}

/** A shop photo: test image `pixels` negated (dark garment on white), upscaled into a 300x400 frame. */
async function shopPhoto(pixels: Uint8Array): Promise<Bytes> {
  const garment = await sharp(Buffer.from(pixels.map((v) => 255 - v)), {
    raw: { width: 28, height: 28, channels: 1 },
  })
    .resize(280, 280, { kernel: 'cubic' })
    .png()
    .toBuffer();
  const white = { r: 255, g: 255, b: 255 };
  const photo = await sharp(garment)
    .extend({ top: 60, bottom: 60, left: 10, right: 10, background: white })
    .jpeg({ quality: 90 })
    .toBuffer();
  return new Uint8Array(photo);
}

describe('POST /v1/classify?include=input', () => {
  it('returns raw bytes exactly as sent', async () => {
    expect(inputPixels(await classify(image, 'application/octet-stream'))).toEqual(image);
  });

  it('returns JSON pixels, fractions rounded', async () => {
    expect(
      inputPixels(
        await classify(JSON.stringify({ pixels: Array.from(image) }), 'application/json'),
      ),
    ).toEqual(image);
    const fractional = Array.from(image, (value) => Math.max(0, value - 0.4));
    expect(
      inputPixels(await classify(JSON.stringify({ pixels: fractional }), 'application/json')),
    ).toEqual(image);
  });

  it('returns a 28x28 dark-background PNG unchanged, as the model sees it', async () => {
    expect(inputPixels(await classify(toPng(image), 'image/png'))).toEqual(image);
  });

  it('returns the converted image for a JPEG photo: the very pixels that give the answer', async () => {
    const photo = await shopPhoto(image);
    const answer = await classify(photo, 'image/jpeg');
    const seen = inputPixels(answer);
    // Light garment on black, like the data set: the corners are background.
    expect([seen[0], seen[27], seen[756], seen[783]]).toEqual([0, 0, 0, 0]);
    // Classifying what the Worker says it saw gives the identical answer, to the last bit.
    const again = await classify(new Uint8Array(seen), 'application/octet-stream');
    expect(again.predictions).toEqual(answer.predictions);
  });

  it('is left out without include', async () => {
    expect(await classify(image, 'application/octet-stream', '')).not.toHaveProperty('input');
  });

  it.each(['inputs', 'input,probabilities', '', 'INPUT'])(
    'refuses include=%j with 400',
    async (value) => {
      const response = await worker.fetch(`/v1/classify?include=${encodeURIComponent(value)}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/octet-stream' },
        body: image,
      });
      await expectProblem(
        response,
        400,
        /^query parameter include must be a comma-separated list of input, got /,
      );
    },
  );
});
