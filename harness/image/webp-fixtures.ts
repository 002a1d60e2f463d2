/**
 * WebP files made the way users make them: sharp (libvips + libwebp) encoding a "shop photo" (a
 * Fashion-MNIST garment, dark on white, with photographic noise), and crafted RIFF files for the
 * cases an encoder never writes.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import sharp from 'sharp';

const idx = gunzipSync(readFileSync('/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz'));
/** Fashion-MNIST test image `i`: 28x28 bytes, light garment on black. */
export const dataset = (i: number): Uint8Array =>
  new Uint8Array(idx.buffer, idx.byteOffset + 16 + i * 784, 784);

/**
 * RGBA pixels of a garment photo: data set image `item` stretched bilinearly over the middle of a
 * width x height canvas in a tint, on an off-white backdrop, with seeded noise. `transparent` makes
 * the backdrop transparent with a soft alpha ramp at the garment's edge instead (a cut-out). `noise` is
 * the peak-to-peak amplitude of the noise (12 levels unless given; more makes a lossy file larger).
 */
export function garmentPhoto(
  item: number,
  width: number,
  height: number,
  options: { transparent?: boolean; seed?: number; noise?: number } = {},
): Uint8Array {
  const src = dataset(item);
  const rgba = new Uint8Array(width * height * 4);
  let seed = options.seed ?? 1;
  const amplitude = options.noise ?? 12;
  const noise = () =>
    ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5) * amplitude;
  const side = Math.min(width, height) * 0.8;
  const [left, top] = [(width - side) / 2, (height - side) / 2];
  const at = (x: number, y: number) =>
    src[Math.max(0, Math.min(27, y)) * 28 + Math.max(0, Math.min(27, x))]!;
  for (let y = 0, p = 0; y < height; y++) {
    for (let x = 0; x < width; x++, p += 4) {
      const fx = ((x - left) / side) * 28 - 0.5;
      const fy = ((y - top) / side) * 28 - 0.5;
      const [x0, y0] = [Math.floor(fx), Math.floor(fy)];
      const [ax, ay] = [fx - x0, fy - y0];
      const v =
        (1 - ay) * ((1 - ax) * at(x0, y0) + ax * at(x0 + 1, y0)) +
        ay * ((1 - ax) * at(x0, y0 + 1) + ax * at(x0 + 1, y0 + 1));
      const inside = fx >= -0.5 && fx < 27.5 && fy >= -0.5 && fy < 27.5 ? v / 255 : 0;
      const n = noise();
      rgba[p] = Math.max(0, Math.min(255, Math.round(245 - 200 * inside + n)));
      rgba[p + 1] = Math.max(0, Math.min(255, Math.round(243 - 170 * inside + n)));
      rgba[p + 2] = Math.max(0, Math.min(255, Math.round(240 - 120 * inside + n)));
      rgba[p + 3] = options.transparent ? Math.round(255 * Math.min(1, inside * 3)) : 255;
    }
  }
  return rgba;
}

/** Encodes RGBA pixels as WebP with sharp. */
export async function encodeWebp(
  rgba: Uint8Array,
  width: number,
  height: number,
  options: sharp.WebpOptions,
  orientation?: number,
): Promise<Uint8Array> {
  let image = sharp(rgba, { raw: { width, height, channels: 4 } }).webp(options);
  if (orientation) image = image.withMetadata({ orientation });
  return new Uint8Array(await image.toBuffer());
}

/** sharp's own decode of a WebP: RGBA, stored orientation. */
export async function sharpRgba(
  webp: Uint8Array,
): Promise<{ width: number; height: number; data: Uint8Array }> {
  const { data, info } = await sharp(webp)
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data) };
}

const fourcc = (text: string) => new TextEncoder().encode(text);

/** A RIFF chunk: four-character code, little-endian size, payload, padding to an even length. */
export function riffChunk(type: string, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + payload.length + (payload.length & 1));
  out.set(fourcc(type));
  new DataView(out.buffer).setUint32(4, payload.length, true);
  out.set(payload, 8);
  return out;
}

/** A WebP file of the given chunks, with a correct RIFF size unless `riffSize` overrides it. */
export function riffWebp(chunks: Uint8Array[], riffSize?: number): Uint8Array {
  const body = chunks.reduce((n, c) => n + c.length, 0);
  const out = new Uint8Array(12 + body);
  out.set(fourcc('RIFF'));
  new DataView(out.buffer).setUint32(4, riffSize ?? 4 + body, true);
  out.set(fourcc('WEBP'), 8);
  let at = 12;
  for (const chunk of chunks) out.set(chunk, (at += chunk.length) - chunk.length);
  return out;
}

/** A VP8L header declaring width x height (the bitstream after it is whatever `rest` holds). */
export function vp8lPayload(
  width: number,
  height: number,
  rest: Uint8Array = new Uint8Array(16),
): Uint8Array {
  const out = new Uint8Array(5 + rest.length);
  out[0] = 0x2f;
  new DataView(out.buffer).setUint32(
    1,
    ((width - 1) & 0x3fff) | (((height - 1) & 0x3fff) << 14),
    true,
  );
  out.set(rest, 5);
  return out;
}

/** A VP8X payload: flags and a canvas size. */
export function vp8xPayload(flags: number, width: number, height: number): Uint8Array {
  const out = new Uint8Array(10);
  out[0] = flags;
  for (let i = 0; i < 3; i++) {
    out[4 + i] = ((width - 1) >> (8 * i)) & 0xff;
    out[7 + i] = ((height - 1) >> (8 * i)) & 0xff;
  }
  return out;
}
