/**
 * What every image decoder hands to the preprocessing: the picture reduced to 8-bit luma at a
 * resolution the preprocessing can use, never the full camera raster.
 */

/**
 * An image as 8-bit luma (ITU-R BT.601: 0.299 R + 0.587 G + 0.114 B; for JPEG the Y channel), alpha
 * composited over white, row-major, in stored orientation (EXIF orientation is applied afterwards).
 */
export interface GrayImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** BT.601 luma of 8-bit R, G, B in 16-bit fixed point; the weights sum to 65536, so gray stays gray. */
export const luma = (r: number, g: number, b: number): number =>
  (19595 * r + 38470 * g + 7471 * b + 32768) >> 16;

/** `value` seen through `alpha` (0..255) over a white background: a cut-out reads like the same garment on white. */
export const overWhite = (value: number, alpha: number): number =>
  255 - ((((255 - value) * alpha + 127) / 255) | 0);

/**
 * The long side decoders aim for: each decodes at the smallest scale its format allows whose long
 * side is still at least this (or the whole image, if it is smaller). 128 pixels put a garment that
 * fills a quarter of the frame at 32 pixels before it is resized to 28; on the photo test set every
 * condition scored within 1 point of what a long side of 256 gave, for a quarter of the pixels to
 * decode and preprocess.
 */
export const DECODE_LONG_SIDE = 128;
