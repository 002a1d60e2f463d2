/**
 * WebP to GrayImage. A large lossy image without alpha (what cameras, phones and browsers export)
 * goes to our VP8 luma decoder (vp8/), which averages as it decodes; the rest go to libwebp, which
 * decodes the whole image to RGBA, reduced to luma at the pipeline's resolution at once.
 */
import { badRequest } from '../../http/problem.ts';
import type { GrayImage } from '../gray.ts';
import { areaFactor } from '../scale.ts';
import { rgbaToGray } from './gray-downsample.ts';
import type { WebpHeader } from './header.ts';
import { decodeRgba } from './libwebp.ts';
import { decodeVp8Luma } from './vp8/decode.ts';

/**
 * The smallest reduction at which a lossy image goes to vp8/ (a long side of ~1,000 pixels and up, where
 * the decode's CPU matters). vp8/ skips the loop filter, which moves pixels near block edges by up
 * to ~25 levels at low quality; averaged over 8x8 blocks that is at most 3 levels (q30) and 1-2 for
 * q60 and up. Smaller images keep libwebp's exact pixels.
 */
const VP8_MIN_FACTOR = 8;

/**
 * Decodes a WebP whose header readWebpHeader has read, to luma at the smallest integer reduction
 * whose long side is still at least `longSide`.
 * @throws Problem 400 when the VP8 data ends early, libwebp refuses the bytes or fails on them, or
 *   they decode to another size than the header declares.
 */
export function decodeWebp(bytes: Uint8Array, header: WebpHeader, longSide: number): GrayImage {
  const { width, height, bitstream } = header;
  const factor = areaFactor(width, height, longSide);
  if (header.compression === 'lossy' && !header.alpha && factor >= VP8_MIN_FACTOR) {
    return decodeVp8Luma(
      bytes.subarray(bitstream.offset, bitstream.offset + bitstream.length),
      factor,
    );
  }
  let rgba;
  try {
    rgba = decodeRgba(bytes);
  } catch (error) {
    // A trap inside libwebp: the module has been dropped (see decodeRgba); the file caused it.
    throw badRequest(`the WebP image could not be decoded: libwebp failed with ${String(error)}`);
  }
  if (!rgba)
    throw badRequest(
      `the WebP image is truncated or corrupt: libwebp could not decode its ${header.compression} bitstream`,
    );
  if (rgba.width !== width || rgba.height !== height) {
    throw badRequest(
      `the WebP image decodes to ${rgba.width}x${rgba.height}, but its header declares ${width}x${height}`,
    );
  }
  return rgbaToGray(rgba, factor);
}
