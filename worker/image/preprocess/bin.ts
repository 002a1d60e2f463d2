/** Brings a large image down to the resolution the garment search works at. */
import { DECODE_LONG_SIDE, type GrayImage } from '../gray.ts';

/** A gray image as floats (0..255), the working copy the preprocessing measures. */
export interface FloatImage {
  width: number;
  height: number;
  data: Float32Array;
}

/**
 * Averages f x f blocks, f the largest integer that keeps the long side at least DECODE_LONG_SIDE
 * (1 for images already that small; never more than the short side): at most 2x the decoders' target resolution is left, which is
 * plenty to find and trim a garment that fills a fifth of the frame, and averaging also lowers
 * sensor noise by f. Up to f - 1 columns and rows at the right and bottom edges are dropped.
 */
export function binToWorkingSize(image: GrayImage): { image: FloatImage; factor: number } {
  const { width, height, data } = image;
  const factor = Math.max(
    1,
    Math.min(Math.floor(Math.max(width, height) / DECODE_LONG_SIDE), width, height),
  );
  if (factor === 1) return { image: { width, height, data: Float32Array.from(data) }, factor };
  const binnedWidth = Math.floor(width / factor);
  const binnedHeight = Math.floor(height / factor);
  const sums = new Float32Array(binnedWidth * binnedHeight);
  for (let y = 0; y < binnedHeight * factor; y++) {
    const row = ((y / factor) | 0) * binnedWidth;
    for (let x = 0, src = y * width; x < binnedWidth * factor; x++, src++) {
      const cell = row + ((x / factor) | 0);
      sums[cell] = sums[cell]! + data[src]!;
    }
  }
  const area = factor * factor;
  for (let i = 0; i < sums.length; i++) sums[i] = sums[i]! / area;
  return { image: { width: binnedWidth, height: binnedHeight, data: sums }, factor };
}
