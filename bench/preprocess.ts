/**
 * How long the preprocessing (worker/image/fashionize.ts) takes on decoded photos of the sizes
 * decoders hand over: garment photos from the photo test set (harness/photos/), gray, 750x500 and
 * smaller. Prints medians and writes bench-results/preprocess.json. Run: npx tsx bench/preprocess.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { CONDITIONS } from '../harness/photos/conditions.ts';
import { renderRgb } from '../harness/photos/render.ts';
import { testImages } from '../harness/dataset.ts';
import { fashionize } from '../worker/image/fashionize.ts';
import type { GrayImage } from '../worker/image/gray.ts';

const RUNS = 200;
const SIZES = [
  [750, 500],
  [448, 336],
  [256, 192],
  [128, 96],
] as const;

/** BT.601 luma of an RGB picture, as a decoder would hand it over. */
function luma(rgb: Uint8Array, width: number, height: number): GrayImage {
  const data = new Uint8Array(width * height);
  for (let i = 0; i < data.length; i++)
    data[i] = Math.round(0.299 * rgb[i * 3]! + 0.587 * rgb[i * 3 + 1]! + 0.114 * rgb[i * 3 + 2]!);
  return { width, height, data };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const { images } = testImages(20);
const combined = CONDITIONS.find((c) => c.name.startsWith('combined'))!;
const figures = SIZES.map(([width, height]) => {
  const photos = images.map((image, i) =>
    luma(renderRgb(image, { ...combined, width, height }, i + 1), width, height),
  );
  for (const photo of photos) fashionize(photo); // warm up the JIT
  const times: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const photo = photos[run % photos.length]!;
    const start = performance.now();
    fashionize(photo);
    times.push(performance.now() - start);
  }
  const figure = {
    width,
    height,
    runs: RUNS,
    medianMs: median(times),
    p90Ms: [...times].sort((a, b) => a - b)[Math.floor(RUNS * 0.9)]!,
  };
  console.log(
    `fashionize ${width}x${height} (${combined.name}): median ${figure.medianMs.toFixed(2)} ms, p90 ${figure.p90Ms.toFixed(2)} ms over ${RUNS} runs`,
  );
  return figure;
});
mkdirSync('bench-results', { recursive: true });
writeFileSync(
  'bench-results/preprocess.json',
  JSON.stringify({ generatedAt: new Date().toISOString(), figures }, null, 2),
);
