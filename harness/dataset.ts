/**
 * Real Fashion-MNIST test images for the Worker tests, and the encodings clients send them in.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { encode as encodePng } from 'fast-png';
import jpeg from 'jpeg-js';

const DATA_DIR = '/usr/share/datasets/fashion-mnist';
const IMAGE_HEADER_BYTES = 16;
const LABEL_HEADER_BYTES = 8;
const PIXELS = 784;

/**
 * The class names of labels 0..9 as Fashion-MNIST publishes them: the tests' own oracle, written out
 * rather than read from classifier/labels.ts, so that a wrong label there fails them.
 */
export const CLASS_NAMES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
] as const;

/** Bytes that fetch accepts as a body (TypeScript wants them backed by an ArrayBuffer). */
export type Bytes = Uint8Array<ArrayBuffer>;

/** The first `count` test images (784 bytes each, 0 = background) with their labels. */
export function testImages(count: number): { images: Bytes[]; labels: number[] } {
  const images = gunzipSync(readFileSync(`${DATA_DIR}/t10k-images-idx3-ubyte.gz`));
  const labels = gunzipSync(readFileSync(`${DATA_DIR}/t10k-labels-idx1-ubyte.gz`));
  return {
    images: Array.from({ length: count }, (_, i) => {
      const start = IMAGE_HEADER_BYTES + i * PIXELS;
      return new Uint8Array(images.subarray(start, start + PIXELS));
    }),
    labels: Array.from(labels.subarray(LABEL_HEADER_BYTES, LABEL_HEADER_BYTES + count)),
  };
}

/** An image as a 28x28 8-bit grayscale PNG. */
export function toPng(image: Uint8Array): Bytes {
  return new Uint8Array(encodePng({ width: 28, height: 28, data: image, channels: 1, depth: 8 }));
}

/** An image as a 28x28 JPEG (gray replicated into RGBA, as jpeg-js only encodes colour). */
export function toJpeg(image: Uint8Array, quality = 95): Bytes {
  const rgba = new Uint8Array(image.length * 4);
  image.forEach((value, i) => rgba.set([value, value, value, 255], i * 4));
  return new Uint8Array(jpeg.encode({ width: 28, height: 28, data: rgba }, quality).data);
}

/** An image as 28 rows of 28 numbers. */
export function toRows(image: Uint8Array): number[][] {
  return Array.from({ length: 28 }, (_, row) =>
    Array.from(image.subarray(row * 28, (row + 1) * 28)),
  );
}

/** Base64 of some bytes, as TF Serving's {"b64": ...} carries them. */
export const base64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
