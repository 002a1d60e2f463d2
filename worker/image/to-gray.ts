/**
 * Reduces a decoded raster to the GrayImage the preprocessing takes, until every decoder hands over
 * luma directly (see gray.ts).
 */
import type { Raster } from './decode.ts';
import type { GrayImage } from './gray.ts';

/**
 * ITU-R BT.601 luma (0.299 R + 0.587 G + 0.114 B, in 16-bit fixed point: the weights sum to exactly
 * 65536, so gray stays gray). Alpha is composited over white, so a transparent cut-out product photo
 * is treated exactly like the same product photographed on a white background. A 1-channel raster
 * is returned as it is.
 */
export function toGray(raster: Raster): GrayImage {
  const { width, height, data } = raster;
  if (raster.channels === 1) return { width, height, data };
  const gray = new Uint8Array(width * height);
  for (let i = 0, p = 0; i < gray.length; i++, p += 4) {
    const luma = (19595 * data[p]! + 38470 * data[p + 1]! + 7471 * data[p + 2]! + 32768) >> 16;
    const alpha = data[p + 3]!;
    gray[i] = alpha === 255 ? luma : 255 - ((((255 - luma) * alpha + 127) / 255) | 0);
  }
  return { width, height, data: gray };
}
