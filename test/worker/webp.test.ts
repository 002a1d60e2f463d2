/**
 * The WebP decoder in workerd: libwebp's .wasm loads as a module wrangler bundles, and decodes there
 * to the very luma it gives in Node; damaged files come back as problems, and the isolate goes on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeWebp } from '../../worker/image/webp/decode.ts';
import { readWebpHeader } from '../../worker/image/webp/header.ts';
import { encodeWebp, garmentPhoto } from '../../harness/image/webp-fixtures.ts';
import { startWorker, type WorkerUnderTest } from '../../harness/worker/start-worker.ts';

let worker: WorkerUnderTest;
beforeAll(async () => {
  worker = await startWorker({ entry: 'harness/worker/fixtures/webp-worker.ts' });
});
afterAll(() => worker?.dispose());

interface Decoded {
  header: unknown;
  width: number;
  height: number;
  gray: string;
}

const post = (bytes: Uint8Array) =>
  worker.fetch('/decode', { method: 'POST', body: Buffer.from(bytes) });

describe('WebP in workerd', () => {
  for (const [name, options, transparent] of [
    ['lossy', { quality: 85 }, false],
    ['lossless with alpha', { lossless: true }, true],
  ] as const) {
    it(`decodes ${name} to the same luma as in Node`, async () => {
      const webp = await encodeWebp(
        garmentPhoto(6, 640, 480, { transparent }),
        640,
        480,
        options,
        6,
      );
      const response = await post(webp);
      expect(response.status).toBe(200);
      const decoded = (await response.json()) as Decoded;
      const header = readWebpHeader(webp);
      const local = decodeWebp(webp, header, 256);
      expect(decoded.header).toEqual({ ...header, orientation: 6 });
      expect([decoded.width, decoded.height]).toEqual([320, 240]);
      expect(new Uint8Array(Buffer.from(decoded.gray, 'base64'))).toEqual(local.data);
    });
  }

  it('answers a truncated file with a 400 problem, and still decodes afterwards', async () => {
    const webp = await encodeWebp(garmentPhoto(7, 300, 300), 300, 300, { lossless: true });
    const cut = webp.slice(0, webp.length - 40);
    // RIFF and chunk sizes agree with the cut, so that only libwebp can tell the bitstream ends early.
    new DataView(cut.buffer).setUint32(4, cut.length - 8, true);
    new DataView(cut.buffer).setUint32(16, cut.length - 20, true);
    const refused = await post(cut);
    expect(refused.status).toBe(400);
    expect(refused.headers.get('Content-Type')).toBe('application/problem+json');
    expect(((await refused.json()) as { detail: string }).detail).toBe(
      'the WebP image is truncated or corrupt: libwebp could not decode its lossless bitstream',
    );
    const again = await post(webp);
    expect(again.status).toBe(200);
  });

  it("decodes an image that grows libwebp's memory, then smaller ones with a fresh module", async () => {
    // 2048 x 2048 lossless (the pixel cap) grows the module past the 32 MiB it may keep: it is dropped.
    const large = await encodeWebp(garmentPhoto(8, 2048, 2048), 2048, 2048, { lossless: true });
    const first = (await (await post(large)).json()) as Decoded;
    expect([first.width, first.height]).toEqual([256, 256]);
    const small = await encodeWebp(garmentPhoto(9, 200, 100), 200, 100, { quality: 90 });
    const local = decodeWebp(small, readWebpHeader(small), 256);
    const second = (await (await post(small)).json()) as Decoded;
    expect(new Uint8Array(Buffer.from(second.gray, 'base64'))).toEqual(local.data);
  });
});
