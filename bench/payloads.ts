/**
 * The request bodies of the HTTP benchmark: a real Fashion-MNIST test image as 784 raw bytes and as
 * a 28x28 PNG, and a 224x224 RGB JPEG standing in for a shop photo (the same garment scaled up,
 * dark on a light, textured, tinted background, as photos of clothes are, with sensor-like noise).
 */
import jpeg from 'jpeg-js';
import { testImages, toPng, type Bytes } from '../harness/dataset.ts';

/** One kind of request body. */
export interface Payload {
  name: string;
  contentType: string;
  body: Bytes;
}

const PHOTO_SIZE = 224;
const SCALE = PHOTO_SIZE / 28;

/** Deterministic noise in [-1, 1). */
function noise(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 31 - 1;
  };
}

/** The 28x28 image as a 224x224 photo-like RGB JPEG (quality 90). */
function toPhotoJpeg(image: Uint8Array): Bytes {
  const rgba = new Uint8Array(PHOTO_SIZE * PHOTO_SIZE * 4);
  const random = noise(7);
  for (let y = 0; y < PHOTO_SIZE; y++) {
    for (let x = 0; x < PHOTO_SIZE; x++) {
      const garment = image[Math.floor(y / SCALE) * 28 + Math.floor(x / SCALE)]! / 255;
      const background = 235 - 25 * (y / PHOTO_SIZE) + 6 * Math.sin(x / 5) * Math.sin(y / 7);
      const grain = 6 * random();
      const at = (y * PHOTO_SIZE + x) * 4;
      // A navy garment: each channel blends from the background towards its own dark tone.
      rgba[at] = background * (1 - garment) + 40 * garment + grain;
      rgba[at + 1] = background * (1 - garment) + 50 * garment + grain;
      rgba[at + 2] = (background - 10) * (1 - garment) + 90 * garment + grain;
      rgba[at + 3] = 255;
    }
  }
  return new Uint8Array(
    jpeg.encode({ width: PHOTO_SIZE, height: PHOTO_SIZE, data: rgba }, 90).data,
  );
}

/** The three payloads, built from test image 0 (an ankle boot). */
export function payloads(): Payload[] {
  const image = testImages(1).images[0]!;
  return [
    { name: 'raw 784 B', contentType: 'application/octet-stream', body: image },
    { name: 'PNG 28x28', contentType: 'image/png', body: toPng(image) },
    { name: 'JPEG 224x224', contentType: 'image/jpeg', body: toPhotoJpeg(image) },
  ];
}
