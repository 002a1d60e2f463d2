/**
 * The served model classifies real test images well: the one Worker test that needs the trained
 * model (the random-weights dev asset scores about 0.1), run through the same :predict batches a
 * client would send.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorker, type WorkerUnderTest } from './harness.ts';
import { testImages } from './dataset.ts';

let worker: WorkerUnderTest;
beforeAll(async () => {
  worker = await startWorker();
});
afterAll(() => worker?.dispose());

describe('accuracy of the served model', () => {
  it('classifies the first 500 test images via :predict in two batches of 250 with accuracy > 0.85', async () => {
    const { images: test, labels } = testImages(500);
    let correct = 0;
    for (const start of [0, 250]) {
      const response = await worker.fetch('/v1/models/fashion-mnist:predict', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ instances: test.slice(start, start + 250).map((image) => Array.from(image)) }),
      });
      expect(response.status).toBe(200);
      const { predictions } = (await response.json()) as { predictions: number[][] };
      expect(predictions).toHaveLength(250);
      predictions.forEach((row, i) => {
        if (row.indexOf(Math.max(...row)) === labels[start + i]) correct++;
      });
    }
    expect(correct / 500).toBeGreaterThan(0.85);
  });
});

