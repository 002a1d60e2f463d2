/**
 * The Cloudflare Images binding path end to end in workerd, with Miniflare's local (sharp-backed)
 * binding: AVIF, GIF and TIFF in, a PNG scaled to the long side out, whose pixels match sharp's own
 * decode; and without the binding, a 415 naming the option.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sniffBindingOnlyType } from '../../worker/image/images-binding.ts';
import { garmentPhoto } from '../../harness/image/webp-fixtures.ts';
import { startWorker, type WorkerUnderTest } from '../../harness/worker/start-worker.ts';

const ENTRY = 'test/worker/fixtures/images-worker.ts';
let bound: WorkerUnderTest;
let unbound: WorkerUnderTest;
beforeAll(async () => {
  [bound, unbound] = await Promise.all([
    startWorker({ entry: ENTRY, images: true }),
    startWorker({ entry: ENTRY }),
  ]);
});
afterAll(async () => {
  await Promise.all([bound?.dispose(), unbound?.dispose()]);
});

const [WIDTH, HEIGHT] = [900, 600];
const photo = () =>
  sharp(garmentPhoto(3, WIDTH, HEIGHT), { raw: { width: WIDTH, height: HEIGHT, channels: 4 } });

const encoders = {
  'image/avif': () => photo().avif({ quality: 70 }).toBuffer(),
  'image/gif': () => photo().gif().toBuffer(),
  'image/tiff': () => photo().tiff().toBuffer(),
} as const;

const post = (worker: WorkerUnderTest, bytes: Uint8Array) =>
  worker.fetch('/convert?longSide=256', { method: 'POST', body: Buffer.from(bytes) });

/** Gray pixels of an image as sharp decodes and scales it: the reference. */
async function gray(
  bytes: Uint8Array,
  width?: number,
): Promise<{ width: number; height: number; data: Buffer }> {
  const { data, info } = await sharp(bytes)
    .resize(width ? { width } : undefined)
    .grayscale()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data };
}

describe('with the Images binding', () => {
  for (const [type, encode] of Object.entries(encoders)) {
    it(`turns ${type} into a PNG 256 pixels on the long side, with the picture intact`, async () => {
      const bytes = new Uint8Array(await encode());
      expect(sniffBindingOnlyType(bytes)).toBe(type);
      const response = await post(bound, bytes);
      expect(response.status).toBe(200);
      expect(response.headers.get('X-Sniffed-Type')).toBe(type);
      const png = new Uint8Array(await response.arrayBuffer());
      expect((await sharp(png).metadata()).format).toBe('png');
      const out = await gray(png);
      expect([out.width, out.height]).toEqual([256, 171]);
      const reference = await gray(bytes, 256);
      let difference = 0;
      for (let i = 0; i < out.data.length; i++)
        difference += Math.abs(out.data[i]! - reference.data[i]!);
      expect(difference / out.data.length).toBeLessThan(4);
      expect(Math.min(...out.data)).toBeLessThan(100); // the garment, not a blank
    });
  }

  it('keeps a small image at its size', async () => {
    const bytes = new Uint8Array(
      await sharp(garmentPhoto(4, 120, 90), { raw: { width: 120, height: 90, channels: 4 } })
        .gif()
        .toBuffer(),
    );
    const out = await gray(new Uint8Array(await (await post(bound, bytes)).arrayBuffer()));
    expect([out.width, out.height]).toEqual([120, 90]);
  });

  it('scales a portrait image by its height', async () => {
    // GIF: the local binding's info() sizes it (not AVIF or TIFF, which are then scaled by the width).
    const bytes = new Uint8Array(
      await sharp(garmentPhoto(5, 300, 700), { raw: { width: 300, height: 700, channels: 4 } })
        .gif()
        .toBuffer(),
    );
    const out = await gray(new Uint8Array(await (await post(bound, bytes)).arrayBuffer()));
    expect([out.width, out.height]).toEqual([110, 256]);
  });

  it('answers bytes that are no image with a problem, not a 500', async () => {
    const response = await post(bound, new TextEncoder().encode('GIF89a, but nothing after it'));
    expect([400, 415]).toContain(response.status);
    expect(response.headers.get('Content-Type')).toBe('application/problem+json');
  });
});

describe('without the Images binding', () => {
  it('answers 415 naming the wrangler.toml option', async () => {
    const response = await post(unbound, new Uint8Array(await encoders['image/avif']()));
    expect(response.status).toBe(415);
    const { detail } = (await response.json()) as { detail: string };
    expect(detail).toBe(
      'AVIF images can only be decoded through Cloudflare Images, which this Worker is deployed without: add [images] binding = "IMAGES" to wrangler.toml',
    );
  });
});

describe('sniffing', () => {
  it('tells AVIF from HEIC by the ftyp brands, and ignores other ISOBMFF files', () => {
    const ftyp = (...brands: string[]) => {
      const box = new Uint8Array(8 + 4 * (brands.length + 1));
      new DataView(box.buffer).setUint32(0, box.length);
      box.set(new TextEncoder().encode('ftyp'), 4);
      [brands[0]!, '\0\0\0\0', ...brands.slice(1)].forEach((brand, i) =>
        box.set(new TextEncoder().encode(brand), 8 + 4 * i),
      );
      return new Uint8Array([...box, ...new Uint8Array(8)]);
    };
    expect(sniffBindingOnlyType(ftyp('heic', 'mif1', 'heic'))).toBe('image/heic');
    expect(sniffBindingOnlyType(ftyp('mif1', 'mif1', 'avif'))).toBe('image/avif');
    expect(sniffBindingOnlyType(ftyp('isom', 'isom', 'mp41'))).toBeUndefined();
    expect(sniffBindingOnlyType(new Uint8Array([0x4d, 0x4d, 0, 0x2a, 0, 0, 0, 8]))).toBe(
      'image/tiff',
    );
    expect(sniffBindingOnlyType(new Uint8Array([0x89, 0x50, 0x4e, 0x47]))).toBeUndefined();
  });
});
