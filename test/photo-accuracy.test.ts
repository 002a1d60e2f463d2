/**
 * The served model's accuracy on photographs of Fashion-MNIST test garments (harness/photos/): the same
 * 320 test images (32 per class) rendered under each condition, encoded by sharp, decoded and
 * preprocessed by the Worker's own pipeline (imageToPixels), classified by the built model, and
 * compared with the accuracy on the very same images as raw 28x28 data. Writes the table the README
 * quotes to test-artifacts/photo-accuracy.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNetwork, type Network } from '../classifier/forward/create-network.ts';
import { argMax } from '../train/evaluate.ts';
import { useBackend } from '../train/backend.ts';
import { Problem } from '../worker/http/problem.ts';
import { pixelsOf } from './image/pipeline.ts';
import { readBuiltAsset } from './built-asset.ts';
import { CONDITIONS } from '../harness/photos/conditions.ts';
import { renderPhoto } from '../harness/photos/render.ts';
import { testImages } from '../harness/dataset.ts';

const ASSET = 'models/fashion-mnist-mlp.bin';
const PER_CLASS = 32;
/** How far below the raw 28x28 accuracy a condition may fall, in percentage points. */
const TOLERANCE_PP = 3;
/** Per condition: 320 photos rendered, encoded and decoded (rendering the 1280x960 frames takes longest). */
const CONDITION_TIMEOUT_MS = 300_000;

const dataset = testImages(10_000);
/** The first PER_CLASS test images of each class, in test set order. */
const chosen: number[] = [];
const taken = new Array<number>(10).fill(0);
dataset.labels.forEach(
  (label, i) => taken[label]! < PER_CLASS && (taken[label]!++, chosen.push(i)),
);

let network: Network;
let rawAccuracy: number;
const rows: string[] = [];

/** Fraction of `pixels` (784 per image, chosen order) the model labels correctly; `null` entries (refused photos) count as wrong. */
function accuracy(pixels: (Float32Array | null)[]): number {
  const batch = new Float32Array(pixels.length * 784);
  pixels.forEach((p, k) => p && batch.set(p, k * 784));
  const probabilities = network.predict(batch, pixels.length);
  const correct = chosen.filter(
    (i, k) =>
      pixels[k] &&
      argMax(probabilities, k * network.classes, network.classes) === dataset.labels[i],
  );
  return correct.length / chosen.length;
}

const percent = (x: number) => `${(100 * x).toFixed(1)}%`;

beforeAll(async () => {
  await useBackend('wasm');
  network = createNetwork((await readBuiltAsset(ASSET)).asset);
  rawAccuracy = accuracy(chosen.map((i) => Float32Array.from(dataset.images[i]!)));
});

afterAll(() => {
  network?.dispose();
  mkdirSync('test-artifacts', { recursive: true });
  const header = [
    `Accuracy of ${ASSET} on photos of the same ${chosen.length} Fashion-MNIST test images (${PER_CLASS} per class) per condition,`,
    'rendered by harness/photos/render.ts, encoded by sharp, decoded and preprocessed by the Worker (imageToPixels).',
    'Photos refused with 422 count as wrong.',
    '',
    '| condition | images | raw 28x28 accuracy | photo accuracy | difference | refused (422) |',
    '|---|---:|---:|---:|---:|---:|',
  ];
  writeFileSync('test-artifacts/photo-accuracy.md', [...header, ...rows, ''].join('\n'));
});

describe(`photos of ${PER_CLASS * 10} test garments classify within ${TOLERANCE_PP} pp of the raw images`, () => {
  it('chose the images evenly over the classes', () => {
    expect(chosen).toHaveLength(PER_CLASS * 10);
    expect(new Set(chosen.map((i) => dataset.labels[i])).size).toBe(10);
  });

  for (const condition of CONDITIONS) {
    it(condition.name, { timeout: CONDITION_TIMEOUT_MS }, async () => {
      const pixels: (Float32Array | null)[] = [];
      let refused = 0;
      for (const i of chosen) {
        const photo = await renderPhoto(dataset.images[i]!, condition, i + 1);
        try {
          pixels.push(await pixelsOf(photo));
        } catch (error) {
          if (!(error instanceof Problem && error.status === 422)) throw error;
          pixels.push(null);
          refused++;
        }
      }
      const photoAccuracy = accuracy(pixels);
      const difference = 100 * (photoAccuracy - rawAccuracy);
      const frame = `${condition.width}x${condition.height} ${condition.format.toUpperCase()}`;
      rows.push(
        `| ${condition.name} (${frame}) | ${chosen.length} | ${percent(rawAccuracy)} | ${percent(photoAccuracy)} | ${difference >= 0 ? '+' : ''}${difference.toFixed(1)} pp | ${refused} |`,
      );
      expect(
        difference,
        `${condition.name}: ${percent(photoAccuracy)} against ${percent(rawAccuracy)} raw`,
      ).toBeGreaterThanOrEqual(-TOLERANCE_PP);
    });
  }
});
