/**
 * How far each decoder reduces an image, in one place: the decoders use it, and the request's
 * pixel budget is judged from it before anything is decoded.
 */
import { DECODE_LONG_SIDE } from './gray.ts';

/**
 * The largest integer factor k for which ceil(long side / k) is still at least `longSide` (1 for an
 * image no longer than that): PNG and WebP average k x k blocks.
 */
export function areaFactor(width: number, height: number, longSide: number): number {
  const long = Math.max(width, height);
  if (longSide <= 1) return long;
  return Math.max(1, Math.floor((long - 1) / (longSide - 1)));
}

/**
 * The libjpeg scale denominator: the largest of 8, 4, 2 whose output long side is still at least
 * `longSide`, else 1. JPEG scales in the DCT domain, so only these four are cheap.
 */
export function jpegDenominator(width: number, height: number, longSide: number): number {
  return [8, 4, 2].find((d) => Math.ceil(Math.max(width, height) / d) >= longSide) ?? 1;
}

/** How many stored pixels the decoder of `type` averages into one along each side of a `width` x `height` image. */
export function decoderDivisor(type: string, width: number, height: number): number {
  return type === 'image/jpeg'
    ? jpegDenominator(width, height, DECODE_LONG_SIDE)
    : areaFactor(width, height, DECODE_LONG_SIDE);
}

/** Width and height of what the decoder of `type` produces from a `width` x `height` image. */
export function decodedSize(
  type: string,
  width: number,
  height: number,
): { width: number; height: number } {
  const divisor = decoderDivisor(type, width, height);
  return { width: Math.ceil(width / divisor), height: Math.ceil(height / divisor) };
}
