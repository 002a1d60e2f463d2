/**
 * WebP to GrayImage: libwebp decodes the whole image to RGBA (WebP has no reduced-size decode), which
 * is reduced to luma at the pipeline's resolution at once.
 */
import { badRequest, contentTooLarge } from '../../http/problem.ts';
import type { GrayImage } from '../gray.ts';
import { areaFactor, rgbaToGray } from './gray-downsample.ts';
import type { WebpHeader } from './header.ts';
import { decodeRgba } from './libwebp.ts';

/**
 * Most pixels (width x height) this Worker decodes from one WebP: 2048 x 2048. libwebp's wasm memory
 * grows by about 10 bytes per pixel for a lossless image (RGBA output, ARGB work buffer, input copy;
 * measured in workerd: 29 MiB at 2048 x 1536, 39 MiB at this cap), and the RGBA copy handed to
 * JavaScript adds 4 bytes per pixel until collected: with the model's own memory, that stays well
 * inside a Worker's 128 MB. Larger WebP images need another route (the Images binding) or a 413.
 */
export const WEBP_MAX_PIXELS = 2048 * 2048;

/**
 * Decodes a WebP whose header readWebpHeader has read, to luma at the smallest integer reduction
 * whose long side is still at least `longSide`.
 * @throws Problem 413 when the image has more than WEBP_MAX_PIXELS pixels (checked before decoding),
 *   400 when libwebp refuses the bytes or fails on them or they decode to another size than the header declares.
 */
export function decodeWebp(bytes: Uint8Array, header: WebpHeader, longSide: number): GrayImage {
  const { width, height } = header;
  if (width * height > WEBP_MAX_PIXELS) {
    throw contentTooLarge(`the WebP image is ${width}x${height} = ${width * height} pixels; WebP images are decoded up to ${WEBP_MAX_PIXELS} pixels`);
  }
  let rgba;
  try {
    rgba = decodeRgba(bytes);
  } catch (error) {
    // A trap inside libwebp: the module has been dropped (see decodeRgba); the file caused it.
    throw badRequest(`the WebP image could not be decoded: libwebp failed with ${String(error)}`);
  }
  if (!rgba) throw badRequest(`the WebP image is truncated or corrupt: libwebp could not decode its ${header.compression} bitstream`);
  if (rgba.width !== width || rgba.height !== height) {
    throw badRequest(`the WebP image decodes to ${rgba.width}x${rgba.height}, but its header declares ${width}x${height}`);
  }
  return rgbaToGray(rgba, areaFactor(width, height, longSide));
}
