/**
 * The Worker's own grayscale PNG encoder (worker/image/encode-png.ts) against two independent
 * decoders: fast-png (pure JS, strict about checksums) and sharp (libpng through libvips).
 */
import { decode } from 'fast-png';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { encodeGrayPng } from '../worker/image/encode-png.ts';
import { testImages } from '../harness/dataset.ts';

const [image] = testImages(1).images;

/** A deterministic pattern covering all 256 levels. */
const pattern = (width: number, height: number): Uint8Array =>
  Uint8Array.from({ length: width * height }, (_, i) => (i * 7 + (i >> 8)) & 0xff);

describe('encodeGrayPng', () => {
  it.each([
    ['a 28x28 test image', 28, 28, image!],
    // 301 x (300 + 1 filter byte) = 90,601 bytes of scanlines: two stored deflate blocks.
    ['a 300x301 pattern (two deflate blocks)', 300, 301, pattern(300, 301)],
    ['a 1x1 image', 1, 1, Uint8Array.of(200)],
  ])('round-trips %s exactly through fast-png and sharp', async (_, width, height, pixels) => {
    const png = encodeGrayPng(width, height, pixels);
    const viaFastPng = decode(png, { checkCrc: true });
    expect({
      width: viaFastPng.width,
      height: viaFastPng.height,
      channels: viaFastPng.channels,
      depth: viaFastPng.depth,
    }).toEqual({ width, height, channels: 1, depth: 8 });
    expect(new Uint8Array(viaFastPng.data)).toEqual(pixels);
    expect(await sharp(png).metadata()).toMatchObject({
      format: 'png',
      width,
      height,
      channels: 1,
      depth: 'uchar',
    });
    // sharp's pipeline works in sRGB unless told to keep the single gray channel.
    const viaSharp = await sharp(png)
      .toColourspace('b-w')
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect(viaSharp.info).toMatchObject({ width, height, channels: 1 });
    expect(new Uint8Array(viaSharp.data)).toEqual(pixels);
  });

  it('refuses pixels that do not match the size', () => {
    expect(() => encodeGrayPng(28, 28, new Uint8Array(783))).toThrow(RangeError);
  });
});
