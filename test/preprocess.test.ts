/**
 * The preprocessing's two promises beyond accuracy (test/photo-accuracy.test.ts): photos without a
 * garment are refused with 422 naming what was measured, and Fashion-MNIST's own images pass
 * through untouched; and a photo is measured at its source's size whatever its decoder's scale.
 * Photos are rendered by harness/photos/render.ts and encoded by sharp.
 */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { Problem } from '../worker/http/problem.ts';
import { fashionize } from '../worker/image/fashionize.ts';
import { DECODE_LONG_SIDE } from '../worker/image/gray.ts';
import { decodeJpeg } from '../worker/image/jpeg/decode.ts';
import { readJpegHeader } from '../worker/image/jpeg/header.ts';
import { binToWorkingSize } from '../worker/image/preprocess/bin.ts';
import { pixelsOf } from './image/pipeline.ts';
import { CONDITIONS } from '../harness/photos/conditions.ts';
import { renderPhoto, type Condition } from '../harness/photos/render.ts';
import { random } from '../harness/random.ts';
import { testImages } from '../harness/dataset.ts';

const dataset = testImages(10_000);
const NOTHING = new Uint8Array(784); // a data set image with no garment: renders the bare backdrop
const condition = (prefix: string): Condition => CONDITIONS.find((c) => c.name.startsWith(prefix))!;

/** The Problem the pipeline throws for `bytes`, or undefined if it returns. */
async function problemOf(bytes: Uint8Array): Promise<Problem | undefined> {
  try {
    await pixelsOf(bytes);
  } catch (error) {
    if (error instanceof Problem) return error;
    throw error;
  }
  return undefined;
}

describe('photos without a garment are refused with 422', () => {
  const bare = [
    'white, flat light',
    'off-white',
    'mid grey',
    'gradient, 25% of the light',
    'vignetting, 25% in the corners',
    'noise sigma 4, JPEG q70',
    'light-on-dark',
    'combined',
    'frame 1024x768',
  ];
  for (const name of bare) {
    it(`the bare backdrop: ${name}`, async () => {
      const problem = await problemOf(await renderPhoto(NOTHING, condition(name), 7));
      expect(problem).toMatchObject({ status: 422, title: 'Unprocessable Content' });
      expect(problem!.detail).toMatch(
        /^no garment found: the image is uniform \(background \d+, noise \d+\.\d levels, (no region above|the strongest region reaches \d+ levels, under) the \d+-level threshold\)$/,
      );
    });
  }

  it('names the backdrop and the noise it measured', async () => {
    // A frame no larger than the decoders' working size, so the noise is measured before any averaging.
    const problem = await problemOf(
      await renderPhoto(
        NOTHING,
        { ...condition('noise sigma 4'), format: 'png', width: 128, height: 96 },
        3,
      ),
    );
    const [, background, noise] = /background (\d+), noise (\d+\.\d)/.exec(problem!.detail)!;
    expect(Number(background)).toBeGreaterThanOrEqual(234); // rendered at 236
    expect(Number(background)).toBeLessThanOrEqual(238);
    // Rendered with sigma 4 per channel, independently: luma's is 4 * sqrt(0.299^2 + 0.587^2 + 0.114^2) = 2.68.
    expect(Number(noise)).toBeGreaterThan(2.4);
    expect(Number(noise)).toBeLessThan(3.2);
  });

  it('pure noise: uniformly random pixels, gray and colour', async () => {
    const next = random(11);
    for (const channels of [1, 3] as const) {
      const pixels = Uint8Array.from({ length: 320 * 240 * channels }, () =>
        Math.floor(next() * 256),
      );
      const png = new Uint8Array(
        await sharp(pixels, { raw: { width: 320, height: 240, channels } })
          .png()
          .toBuffer(),
      );
      expect((await problemOf(png))?.status, `${channels} channel(s)`).toBe(422);
    }
  });

  it('a blank 28x28 image, black or white', async () => {
    for (const level of [0, 255]) {
      const png = new Uint8Array(
        await sharp(new Uint8Array(784).fill(level), {
          raw: { width: 28, height: 28, channels: 1 },
        })
          .png()
          .toBuffer(),
      );
      expect((await problemOf(png))?.status, `level ${level}`).toBe(422);
    }
  });
});

describe('what is not a garment is left out', () => {
  /** The garment photo under `name`, with `mark` painted on its RGB pixels before encoding. */
  async function photoWith(
    image: Uint8Array,
    name: string,
    mark: (rgb: Uint8Array, width: number) => void,
  ): Promise<Uint8Array> {
    const c = { ...condition(name), format: 'png' as const };
    const clean = await sharp(await renderPhoto(image, c, 5))
      .raw()
      .toBuffer();
    const rgb = new Uint8Array(clean);
    mark(rgb, c.width);
    return new Uint8Array(
      await sharp(rgb, { raw: { width: c.width, height: c.height, channels: 3 } })
        .png()
        .toBuffer(),
    );
  }
  const paint = (
    rgb: Uint8Array,
    width: number,
    x0: number,
    y0: number,
    w: number,
    h: number,
    level: number,
  ) => {
    for (let y = y0; y < y0 + h; y++)
      for (let x = x0; x < x0 + w; x++)
        rgb.fill(level, (y * width + x) * 3, (y * width + x) * 3 + 3);
  };

  it('dust specks and a dark object cut by the frame edge change nothing', async () => {
    for (const i of [0, 1, 2, 3, 4]) {
      const image = dataset.images[i]!;
      const clean = await pixelsOf(await photoWith(image, 'small garment', () => {}));
      // Small garment (25% of the frame), so there is room in the half of the frame it is not in:
      // two specks of dust, and the edge of a dark object (a tenth of the garment's area) entering
      // from the frame edge there.
      const marked = await photoWith(image, 'small garment', (rgb, width) => {
        const height = rgb.length / 3 / width;
        let [dark, sumY] = [0, 0];
        for (let p = 0; p < width * height; p++)
          if (rgb[p * 3 + 1]! < 128) (dark++, (sumY += Math.floor(p / width)));
        const bottom = sumY / dark < height / 2; // the garment is in the top half
        const edge = (h: number) => (bottom ? height - h : 0);
        paint(rgb, width, 20, edge(30), 3, 3, 60);
        paint(rgb, width, 420, edge(40), 2, 2, 30);
        paint(rgb, width, 200, edge(8), 40, 8, 40);
      });
      expect(await pixelsOf(marked), `image ${i}`).toEqual(clean);
    }
  });
});

describe("Fashion-MNIST's own test images", () => {
  it('all 10,000 pass through unchanged as 28x28 gray images, never refused', () => {
    for (let i = 0; i < dataset.images.length; i++) {
      const data = dataset.images[i]!;
      const out = fashionize({ width: 28, height: 28, data });
      if (!out.every((v, k) => v === data[k])) throw new Error(`image ${i} changed`);
    }
  });
});

describe('the working image is the source size, whatever scale the decoder reached', () => {
  it('a 448x336 JPEG decoded at 1/2 is measured at the 149x112 of its full-size decode binned 3x3', async () => {
    const photo = await renderPhoto(dataset.images[0]!, condition('off-white'), 1);
    const header = readJpegHeader(photo);
    const source = { width: header.width, height: header.height, divisor: 2 };
    const half = binToWorkingSize(decodeJpeg(photo, header, DECODE_LONG_SIDE), source);
    const full = binToWorkingSize(decodeJpeg(photo, header, header.width));
    expect([half.width, half.height]).toEqual([149, 112]);
    expect([full.width, full.height]).toEqual([149, 112]);
    // Averaging the same areas of the stored pixels: only rounding and the reduced IDCT differ.
    let error = 0;
    for (let i = 0; i < full.data.length; i++) error += Math.abs(half.data[i]! - full.data[i]!);
    expect(error / full.data.length).toBeLessThan(1);
  });
});
