/**
 * The streaming PNG decoder (worker/image/png/): every colour type, bit depth, filter and
 * interlace against fast-png's full decode, and the Fashion-MNIST test set bit-exact. Hostile
 * files are in png-hostile.test.ts.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { encode as fastPngEncode } from 'fast-png';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { areaFactor } from '../../worker/image/scale.ts';
import { decodePng } from '../../worker/image/png/decode.ts';
import { readPngHeader } from '../../worker/image/png/header.ts';
import {
  chunk,
  encode,
  palette,
  rawImage,
  reference,
  type ColorName,
} from '../../harness/image/png-fixtures.ts';

/** Header and decode, as the Worker runs them. */
const decode = (bytes: Uint8Array, longSide = 256) =>
  decodePng(bytes, readPngHeader(bytes), longSide);

const FORMATS: [ColorName, number[]][] = [
  ['gray', [1, 2, 4, 8, 16]],
  ['rgb', [8, 16]],
  ['palette', [1, 2, 4, 8]],
  ['gray-alpha', [8, 16]],
  ['rgba', [8, 16]],
];

/** The tRNS chunk a format can carry: a colour key taken from the image itself, or palette alphas. */
function transparencyFor(
  color: ColorName,
  image: ReturnType<typeof rawImage>,
): Uint8Array | undefined {
  if (color === 'palette')
    return Uint8Array.from({ length: Math.min(5, 2 ** image.depth - 1) }, (_, i) => i * 60);
  const channels = color === 'gray' ? 1 : color === 'rgb' ? 3 : 0;
  if (!channels) return undefined;
  const key = new Uint8Array(2 * channels);
  for (let c = 0; c < channels; c++)
    ((key[2 * c] = image.samples[c]! >> 8), (key[2 * c + 1] = image.samples[c]! & 0xff));
  return key;
}

describe('decodes every PNG format exactly like fast-png converted the same way', () => {
  for (const [color, depths] of FORMATS) {
    for (const depth of depths) {
      for (const interlaced of [false, true]) {
        it(`${color} ${depth}-bit${interlaced ? ' Adam7' : ''}, all five filters, with and without tRNS, full size and downsampled`, () => {
          const image = rawImage(37, 23, color, depth, depth * 7 + (interlaced ? 1 : 0));
          const plte = color === 'palette' ? [chunk('PLTE', palette(2 ** depth, depth))] : [];
          const trns = transparencyFor(color, image);
          for (const before of [plte, ...(trns ? [[...plte, chunk('tRNS', trns)]] : [])]) {
            const png = encode(image, { interlaced, before });
            // The reference decodes the same picture without Adam7: fast-png 8.0 fails on 1, 2 and 4-bit Adam7.
            const plain = interlaced ? encode(image, { before }) : png;
            for (const longSide of [256, 9, 4]) {
              expect(decode(png, longSide)).toEqual(reference(plain, areaFactor(37, 23, longSide)));
            }
          }
        });
      }
    }
  }

  it('sharp-encoded photos (libpng adaptive filters, 8 and 16-bit, palette, interlaced) at a 256 long side', async () => {
    const width = 520; // downsampled by 2 to a 260 long side
    const height = 390;
    const rgba = Buffer.from(rawImage(width, height, 'rgba', 8, 5).samples);
    const photo = sharp(rgba, { raw: { width, height, channels: 4 } });
    const variants = await Promise.all([
      photo.clone().removeAlpha().png().toBuffer(),
      photo.clone().png({ progressive: true }).toBuffer(),
      photo.clone().grayscale().png().toBuffer(),
      photo.clone().toColourspace('rgb16').png().toBuffer(),
      photo.clone().png({ palette: true, colours: 64 }).toBuffer(),
      photo.clone().removeAlpha().png({ palette: true, colours: 4 }).toBuffer(), // 2-bit
    ]);
    const k = areaFactor(width, height, 256);
    for (const png of variants.map((b) => new Uint8Array(b))) {
      expect(decode(png)).toEqual(reference(png, k));
    }
  });
});

describe('Fashion-MNIST as 28x28 PNG', () => {
  it('all 10,000 test images decode to exactly their pixels', () => {
    const idx = gunzipSync(
      readFileSync('/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz'),
    );
    const count = idx.readUInt32BE(4);
    expect(count).toBe(10_000);
    for (let i = 0; i < count; i++) {
      const pixels = new Uint8Array(idx.buffer, idx.byteOffset + 16 + i * 784, 784);
      const image = decode(
        fastPngEncode({ width: 28, height: 28, data: pixels, channels: 1, depth: 8 }),
      );
      if (!image.data.every((v, j) => v === pixels[j])) expect.fail(`test image ${i} differs`);
      expect(image.width * image.height).toBe(784);
    }
  });
});
