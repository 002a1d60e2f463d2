/**
 * A minimal PNG encoder for small 8-bit grayscale images (the 28x28 model input that
 * `POST /v1/classify?include=input` returns). The zlib stream uses stored (uncompressed) deflate
 * blocks: for 812 bytes of filtered pixels compression would save a few hundred bytes but would
 * need fflate, which the Worker loads only when it decodes an image (its tables cost startup CPU).
 */

import { Adler32 } from './png/adler32.ts';
import { crc32 } from './png/crc32.ts';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Largest payload of one stored deflate block (its LEN field is 16 bits). */
const STORED_BLOCK_MAX = 0xffff;

/** A zlib stream (RFC 1950) holding `raw` in stored deflate blocks (RFC 1951 3.2.4). */
function zlibStored(raw: Uint8Array): Uint8Array {
  const blocks = Math.max(1, Math.ceil(raw.length / STORED_BLOCK_MAX));
  const out = new Uint8Array(2 + blocks * 5 + raw.length + 4);
  const view = new DataView(out.buffer);
  out[0] = 0x78; // deflate, 32 KiB window
  out[1] = 0x01; // no preset dictionary, fastest; 0x7801 is a multiple of 31 as the header requires
  let at = 2;
  for (let block = 0; block < blocks; block++) {
    const start = block * STORED_BLOCK_MAX;
    const length = Math.min(STORED_BLOCK_MAX, raw.length - start);
    out[at] = block === blocks - 1 ? 1 : 0; // BFINAL, BTYPE 00 (stored)
    view.setUint16(at + 1, length, true);
    view.setUint16(at + 3, ~length & 0xffff, true);
    out.set(raw.subarray(start, start + length), at + 5);
    at += 5 + length;
  }
  const checksum = new Adler32();
  checksum.update(raw);
  view.setUint32(at, checksum.value);
  return out;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out, 4, 8 + data.length));
  return out;
}

/**
 * A PNG of an 8-bit grayscale image, `width` x `height`, row-major `pixels` (0 = black). Every row
 * uses filter 0 (none): the point is a faithful, small, dependency-free file, not the smallest one.
 */
export function encodeGrayPng(width: number, height: number, pixels: Uint8Array): Uint8Array {
  if (pixels.length !== width * height)
    throw new RangeError(`expected ${width * height} pixels, got ${pixels.length}`);
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header.set([8, 0, 0, 0, 0], 8); // bit depth 8, colour type 0 (gray), deflate, adaptive filters, no interlace
  const filtered = new Uint8Array(height * (width + 1));
  for (let y = 0; y < height; y++)
    filtered.set(pixels.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  const parts = [
    Uint8Array.from(SIGNATURE),
    chunk('IHDR', header),
    chunk('IDAT', zlibStored(filtered)),
    chunk('IEND', new Uint8Array(0)),
  ];
  const png = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    png.set(part, at);
    at += part.length;
  }
  return png;
}
