/**
 * WebP to GrayImage: libwebp decodes the whole image to RGBA (WebP has no reduced-size decode), which
 * is reduced to luma at the pipeline's resolution at once.
 */
import { badRequest } from '../../http/problem.ts';
import type { GrayImage } from '../gray.ts';
import { areaFactor } from '../scale.ts';
import { rgbaToGray } from './gray-downsample.ts';
import type { WebpHeader } from './header.ts';
import { decodeRgba } from './libwebp.ts';

/**
 * Decodes a WebP whose header readWebpHeader has read, to luma at the smallest integer reduction
 * whose long side is still at least `longSide`.
 * @throws Problem 400 when libwebp refuses the bytes or fails on them or they decode to another size than the header declares.
 */
export function decodeWebp(bytes: Uint8Array, header: WebpHeader, longSide: number): GrayImage {
  const { width, height } = header;
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
  return rgbaToGray(rgba, areaFactor(width, height, longSide));
}
