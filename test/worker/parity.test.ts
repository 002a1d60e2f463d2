/**
 * The served model is the built model: every one of the 10,000 real test images goes through the
 * Worker's HTTP API in workerd and must match the Node-side evaluation of the same asset.
 */
import { readFileSync } from 'node:fs';
import { encode as encodeJpeg } from 'jpeg-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFashionMnist, type ImageSet } from '../../train/data/index.ts';
import type { ModelCard } from '../../train/model-card.ts';
import { startWorker, type WorkerUnderTest } from '../../harness/worker/start-worker.ts';
import { servedParity } from './served-parity.ts';

const ASSET = 'models/fashion-mnist-mlp.bin';

let worker: WorkerUnderTest;
let test: ImageSet;
beforeAll(async () => {
  [worker, { test }] = await Promise.all([
    startWorker(),
    loadFashionMnist({ allowDownload: false }),
  ]);
});
afterAll(() => worker?.dispose());

const image = (set: ImageSet, i: number) => set.images.subarray(i * 784, (i + 1) * 784);

describe('Worker predictions on the whole test set', () => {
  it('equal the Node evaluation of the same asset: same argmax, probabilities within 1e-4, same accuracy', async () => {
    const parity = await servedParity(worker, 'fashion-mnist', ASSET, test);
    const card = JSON.parse(readFileSync('models/fashion-mnist-mlp.json', 'utf8')) as ModelCard;
    expect(parity.failedRequests).toBe(0);
    expect(parity.argMaxDisagreements).toBe(0);
    expect(parity.worstDifference).toBeLessThanOrEqual(1e-4);
    expect(parity.servedAccuracy).toBe(card.test.int8Accuracy);
  }, 600_000);
});

/**
 * A catalogue photo: the garment dark on a white page, upscaled, off-centre, in colour, as JPEG —
 * the inverse of how Fashion-MNIST was made from Zalando's product images.
 */
function shopPhoto(pixels: Uint8Array, scale: number, margin: number): Uint8Array {
  const side = 28 * scale + 2 * margin;
  const width = side + margin;
  const rgba = new Uint8Array(width * side * 4).fill(255);
  for (let y = 0; y < 28 * scale; y++) {
    for (let x = 0; x < 28 * scale; x++) {
      const value = 255 - pixels[Math.floor(y / scale) * 28 + Math.floor(x / scale)]!;
      const at = ((y + margin) * width + x + margin * 2) * 4;
      rgba.set([value, Math.min(255, value + 10), value], at);
    }
  }
  return new Uint8Array(encodeJpeg({ width, height: side, data: rgba }, 90).data);
}

describe('shop photos of garments on a white background', () => {
  it('classify about as well as the data set images they were made from', async () => {
    const count = 300;
    let photoCorrect = 0;
    let originalCorrect = 0;
    for (let i = 0; i < count; i++) {
      const label = test.labels[i];
      for (const [body, type] of [
        [shopPhoto(image(test, i), 3 + (i % 6), 10 + (i % 17)), 'image/jpeg'],
        [image(test, i).slice(), 'application/octet-stream'],
      ] as const) {
        const response = await worker.fetch('/v1/classify?top=1', {
          method: 'POST',
          headers: { 'Content-Type': type },
          body: body as Uint8Array<ArrayBuffer>,
        });
        expect(response.status).toBe(200);
        const { predictions } = (await response.json()) as { predictions: { index: number }[] };
        if (predictions[0]!.index !== label) continue;
        if (type === 'image/jpeg') photoCorrect++;
        else originalCorrect++;
      }
    }
    // Up-and-down scaling and JPEG blur the images a little; allow three points.
    expect(photoCorrect / count).toBeGreaterThanOrEqual(originalCorrect / count - 0.03);
  }, 300_000);
});
