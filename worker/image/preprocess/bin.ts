/** Brings a large image down to the resolution the garment search works at. */
import { DECODE_LONG_SIDE, type GrayImage } from '../gray.ts';
import { resizeArea } from './resize.ts';

/** A gray image as floats (0..255), the working copy the preprocessing measures. */
export interface FloatImage {
  width: number;
  height: number;
  data: Float32Array;
}

/**
 * The photo a decoder reduced: its stored width and height (in the decoded image's orientation)
 * and how many stored pixels the decoder averaged into one along each side.
 */
export interface Source {
  width: number;
  height: number;
  divisor: number;
}

/**
 * The working copy of a photo: the source averaged in f x f blocks, f the largest integer that
 * keeps its long side at least DECODE_LONG_SIDE (never more than the short side). That leaves at
 * most 2x the decoders' target resolution, plenty to find and trim a garment that fills a fifth of
 * the frame, and averaging lowers sensor noise by f. Up to f - 1 columns and rows at the right and
 * bottom edges are dropped.
 *
 * The size is the source's whatever scale the decoder reached, so a photo is measured the same as
 * if it had been decoded at full size: a 448x336 JPEG decoded at 1/2 is averaged 1.5 x 1.5 to the
 * 149x112 that binning a full-size decode 3 x 3 gives. Binning the 224x168 decode by whole pixels
 * instead kept it at 224x168, which scored 0.2-0.7 pp below full-size decoding on the photo test
 * set: borderline images flip with the resampling. A decoder that reduced more than f (a long side
 * under 2x DECODE_LONG_SIDE) is used as it is.
 */
export function binToWorkingSize(
  image: GrayImage,
  source: Source = { width: image.width, height: image.height, divisor: 1 },
): FloatImage {
  const sourceFactor = Math.max(
    1,
    Math.min(
      Math.floor(Math.max(source.width, source.height) / DECODE_LONG_SIDE),
      source.width,
      source.height,
    ),
  );
  const factor = sourceFactor / source.divisor; // decoded pixels per working pixel
  if (factor <= 1 && (factor < 1 || source.divisor === 1))
    return { width: image.width, height: image.height, data: Float32Array.from(image.data) };
  const width = Math.floor(source.width / sourceFactor);
  const height = Math.floor(source.height / sourceFactor);
  if (Number.isInteger(factor)) return binBy(image, factor, width, height);
  const covered = {
    x: 0,
    y: 0,
    width: Math.min(image.width, Math.round(width * factor)),
    height: Math.min(image.height, Math.round(height * factor)),
  };
  return {
    width,
    height,
    data: resizeArea(Float32Array.from(image.data), image.width, covered, width, height),
  };
}

/** The mean of each `factor` x `factor` block of `image`'s first `width` x `height` blocks. */
function binBy(image: GrayImage, factor: number, width: number, height: number): FloatImage {
  const sums = new Float32Array(width * height);
  if (factor === 1) {
    // A decoder that reached the working size: the blocks are single pixels, only the crop is left.
    for (let y = 0; y < height; y++)
      sums.set(image.data.subarray(y * image.width, y * image.width + width), y * width);
    return { width, height, data: sums };
  }
  for (let y = 0; y < height * factor; y++) {
    const row = ((y / factor) | 0) * width;
    for (let x = 0, src = y * image.width; x < width * factor; x++, src++) {
      const cell = row + ((x / factor) | 0);
      sums[cell] = sums[cell]! + image.data[src]!;
    }
  }
  const area = factor * factor;
  for (let i = 0; i < sums.length; i++) sums[i] = sums[i]! / area;
  return { width, height, data: sums };
}
