/**
 * The decoders, behind one dynamic import (index.ts loads this module on the first image): fflate's
 * tables and libwebp's glue are evaluated only when an image arrives, never at startup.
 */
import { badRequest } from '../http/problem.ts';
import { DECODE_LONG_SIDE, type GrayImage } from './gray.ts';
import { decodeJpeg } from './jpeg/decode.ts';
import { decodePng } from './png/decode.ts';
import { decodedSize } from './scale.ts';
import type { ImageHeader } from './sniff.ts';
import { decodeWebp } from './webp/decode.ts';

/**
 * Decodes an image whose header has been read and whose cost has been admitted, to luma at the
 * smallest scale its format allows with a long side of at least DECODE_LONG_SIDE.
 * @throws Problem 400 when the data is truncated or corrupt, or decodes to another size than expected.
 */
export function decodeImage(bytes: Uint8Array, header: ImageHeader): GrayImage {
  let image: GrayImage;
  switch (header.type) {
    case 'image/png':
      image = decodePng(bytes, header, DECODE_LONG_SIDE);
      break;
    case 'image/jpeg':
      image = decodeJpeg(bytes, header, DECODE_LONG_SIDE);
      break;
    case 'image/webp':
      image = decodeWebp(bytes, header, DECODE_LONG_SIDE);
      break;
  }
  const expected = decodedSize(header.type, header.width, header.height);
  if (image.width !== expected.width || image.height !== expected.height) {
    throw badRequest(
      `the image decodes to ${image.width}x${image.height}, but its ${header.width}x${header.height} header implies ${expected.width}x${expected.height}`,
    );
  }
  return image;
}
