/**
 * Photo-like request bodies for the image benchmark: a real Fashion-MNIST test garment, scaled up
 * smoothly and dark on a lit, textured, slightly tinted background with sensor-like noise, encoded
 * by sharp the way cameras and browsers encode (JPEG 4:2:0, WebP). Noise matters: it gives the
 * files the size and entropy of real photos, which is what a decoder's entropy stage pays for.
 */
import sharp from 'sharp';
import { testImages, toPng, type Bytes } from '../harness/dataset.ts';
import type { Payload } from './payloads.ts';

/** Deterministic noise in [-1, 1). */
function noise(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 31 - 1;
  };
}

/** Bilinear sample of the 28x28 image at (x, y) in its own pixel units, 0..1. */
function sample(image: Uint8Array, x: number, y: number): number {
  const x0 = Math.max(0, Math.min(27, Math.floor(x)));
  const y0 = Math.max(0, Math.min(27, Math.floor(y)));
  const x1 = Math.min(27, x0 + 1);
  const y1 = Math.min(27, y0 + 1);
  const fx = Math.max(0, Math.min(1, x - x0));
  const fy = Math.max(0, Math.min(1, y - y0));
  const top = image[y0 * 28 + x0]! * (1 - fx) + image[y0 * 28 + x1]! * fx;
  const bottom = image[y1 * 28 + x0]! * (1 - fx) + image[y1 * 28 + x1]! * fx;
  return (top * (1 - fy) + bottom * fy) / 255;
}

/** RGB pixels of a `width` x `height` photo of `image`, the garment filling 70% of the short side. */
function photoPixels(image: Uint8Array, width: number, height: number): Buffer {
  const rgb = Buffer.alloc(width * height * 3);
  const random = noise(width * 31 + height);
  const side = 0.7 * Math.min(width, height);
  const left = (width - side) / 2;
  const top = (height - side) / 2;
  for (let y = 0, at = 0; y < height; y++) {
    for (let x = 0; x < width; x++, at += 3) {
      const inside = x >= left && x < left + side && y >= top && y < top + side;
      const garment = inside
        ? sample(image, ((x - left) / side) * 28 - 0.5, ((y - top) / side) * 28 - 0.5)
        : 0;
      const light = 240 - 28 * (y / height) - 10 * (x / width);
      const grain = 5 * random();
      rgb[at] = light * (1 - garment) + 40 * garment + grain;
      rgb[at + 1] = light * (1 - garment) + 50 * garment + grain;
      rgb[at + 2] = (light - 8) * (1 - garment) + 90 * garment + grain;
    }
  }
  return rgb;
}

/** The photo as a `format` file. */
async function encodePhoto(
  image: Uint8Array,
  width: number,
  height: number,
  format: 'jpeg' | 'webp' | 'png' | 'avif',
  progressive = false,
): Promise<Bytes> {
  const input = sharp(photoPixels(image, width, height), { raw: { width, height, channels: 3 } });
  const encoders = {
    jpeg: () => input.jpeg({ quality: 90, chromaSubsampling: '4:2:0', progressive }),
    webp: () => input.webp({ quality: 85 }),
    png: () => input.png(),
    avif: () => input.avif({ quality: 60, effort: 2 }),
  };
  return new Uint8Array(await encoders[format]().toBuffer());
}

/** Sizes of the targets, and the largest accepted photo of each kind (JPEG baseline and progressive, PNG under its work cap, WebP at its size cap). */
export async function photoPayloads(): Promise<Payload[]> {
  const image = testImages(1).images[0]!; // an ankle boot
  const jpeg = async (
    width: number,
    height: number,
    name: string,
    progressive = false,
  ): Promise<Payload> => ({
    name,
    contentType: 'image/jpeg',
    body: await encodePhoto(image, width, height, 'jpeg', progressive),
  });
  return [
    { name: 'raw 784 B', contentType: 'application/octet-stream', body: image },
    { name: 'PNG 28x28', contentType: 'image/png', body: toPng(image) },
    await jpeg(512, 512, 'JPEG 512x512'),
    await jpeg(1024, 1024, 'JPEG 1024x1024'),
    await jpeg(4032, 3024, 'JPEG 4032x3024 (12 MP)'),
    await jpeg(4032, 3024, 'JPEG 4032x3024 progressive', true),
    await jpeg(6000, 4000, 'JPEG 6000x4000 (24 MP)'),
    await jpeg(6000, 4000, 'JPEG 6000x4000 progressive', true),
    {
      name: 'PNG 1280x960 RGB',
      contentType: 'image/png',
      body: await encodePhoto(image, 1280, 960, 'png'),
    },
    {
      name: 'WebP 2048x1536',
      contentType: 'image/webp',
      body: await encodePhoto(image, 2048, 1536, 'webp'),
    },
    {
      name: 'WebP 2048x2048',
      contentType: 'image/webp',
      body: await encodePhoto(image, 2048, 2048, 'webp'),
    },
  ];
}

/**
 * Photos the Worker hands to the Images binding when it has one (those over
 * IMAGES_BINDING_MIN_PIXELS), and an AVIF, which only the binding decodes (sharp takes ~1 s for a 12 MP
 * one, so a 3 MP one keeps the rounds short).
 */
export async function bindingPayloads(): Promise<Payload[]> {
  const large = new Set([
    'JPEG 4032x3024 (12 MP)',
    'JPEG 6000x4000 (24 MP)',
    'WebP 2048x1536',
    'WebP 2048x2048',
  ]);
  const image = testImages(1).images[0]!;
  return [
    ...(await photoPayloads()).filter((payload) => large.has(payload.name)),
    {
      name: 'AVIF 2048x1536',
      contentType: 'image/avif',
      body: await encodePhoto(image, 2048, 1536, 'avif'),
    },
  ];
}
