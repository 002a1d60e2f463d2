/**
 * Crafted request bodies for the image benchmark: the decoder bombs of the photo-ingestion issue,
 * rebuilt with the tests' own file builders, so that their cost in workerd is measured beside the
 * honest photos. Each should be a 4xx (or a correct 200) within 50 ms of CPU.
 */
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { craftScanBomb } from '../harness/image/jpeg-craft.ts';
import { chunk, concat, encode, ihdr, rawImage } from '../harness/image/png-fixtures.ts';
import type { Payload } from './payloads.ts';

const png = (name: string, body: Uint8Array): Payload => ({
  name: `crafted: ${name}`,
  contentType: 'image/png',
  body: new Uint8Array(body),
});
const jpeg = (name: string, body: Uint8Array): Payload => ({
  name: `crafted: ${name}`,
  contentType: 'image/jpeg',
  body: new Uint8Array(body),
});

/** The crafted files, and a 24 MP JPEG of one flat colour: the most pixels for the fewest bytes. */
export async function craftedPayloads(): Promise<Payload[]> {
  const iccBomb = chunk(
    'iCCP',
    concat(
      new TextEncoder().encode('icc\0'),
      new Uint8Array([0]),
      deflateSync(new Uint8Array(256 << 20), { level: 9 }),
    ),
  );
  const photo = rawImage(512, 512, 'rgb', 8, 1);
  return [
    jpeg('progressive JPEG of 80,000 one-EOB-run scans', craftScanBomb()),
    jpeg(
      '24 MP JPEG of one flat colour',
      await sharp({ create: { width: 6000, height: 4000, channels: 3, background: '#d0d0d0' } })
        .jpeg({ quality: 90 })
        .toBuffer(),
    ),
    png('512x512 PNG with a 256 MB iCCP zlib bomb', encode(photo, { before: [iccBomb] })),
    png(
      '28x28 PNG with a second IHDR of 20000x20000 RGBA 16-bit',
      encode(rawImage(28, 28, 'gray', 8, 1), { before: [ihdr(20000, 20000, 'rgba', 16)] }),
    ),
    png('512x512 PNG in one-byte IDAT chunks', encode(photo, { idatSize: 1 })),
    png(
      'PNG with a PLTE of 1.4 million entries',
      encode(rawImage(8, 8, 'palette', 4, 1), {
        before: [chunk('PLTE', new Uint8Array(3 * 1_400_000))],
      }),
    ),
  ];
}
