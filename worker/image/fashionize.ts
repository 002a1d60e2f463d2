/**
 * Turns a photo into a 28x28 image the way Fashion-MNIST itself was made (Xiao et al. 2017, section
 * 2): trim to the garment, resize the longest edge to 28, centre on a 28x28 canvas, negate a light
 * background. Photos are not shop photos on pure white, so the trimming does not compare pixels
 * with the corners' colour: the backdrop and its lighting are fitted (preprocess/background.ts),
 * and the garment is the largest object standing out from it by more than the image's noise
 * (preprocess/segment.ts). Deliberate differences from the paper: resizing averages areas instead
 * of skipping rows and columns (skipping aliases badly from large photos), and there is no
 * sharpening step (measured on upscaled test set images: a mild unsharp mask gained under 1 grey
 * level of mean error on soft-edged ones and lost more on sharp-edged ones).
 */
import { IMAGE_SIZE } from '../../classifier/architecture.ts';
import type { GrayImage } from './gray.ts';
import { fitBackground } from './preprocess/background.ts';
import { binToWorkingSize, type Source } from './preprocess/bin.ts';
import { resizeArea } from './preprocess/resize.ts';
import { findGarment } from './preprocess/segment.ts';

/** Corner luma below this means a dark background: the data set's own convention. */
const LIGHT_BACKGROUND = 128;

/**
 * Converts a gray image to 784 row-major values in 0..255 (integers, like the data set): the garment
 * light on a background of exactly 0, its strongest contrast 255 (every Fashion-MNIST image peaks at
 * 254 or 255): black on white is plain negation, and a dyed or white garment is stretched as much. A 28x28 image with a dark background that is not uniform is already in that form and
 * is returned unchanged.
 * `source` describes the stored photo when its decoder reduced it (see binToWorkingSize).
 * @throws Problem 422 when the image shows no garment (blank, uniform or noise only).
 */
export function fashionize(image: GrayImage, source?: Source): Float32Array {
  const { width, height, data } = image;
  if (
    width === IMAGE_SIZE &&
    height === IMAGE_SIZE &&
    medianCorner(data) < LIGHT_BACKGROUND &&
    !isUniform(data)
  )
    return Float32Array.from(data);

  const working = binToWorkingSize(image, source);
  const { box, contrast, peak } = findGarment(working, fitBackground(working));
  const scale = IMAGE_SIZE / Math.max(box.width, box.height);
  const targetWidth = Math.max(1, Math.round(box.width * scale));
  const targetHeight = Math.max(1, Math.round(box.height * scale));
  // The data set puts the odd spare pixel before the object (measured on its test set), so round up.
  const left = Math.ceil((IMAGE_SIZE - targetWidth) / 2);
  const top = Math.ceil((IMAGE_SIZE - targetHeight) / 2);
  const resized = resizeArea(contrast, working.width, box, targetWidth, targetHeight);
  const gain = 255 / peak; // the garment found has contrast, so peak > 0
  const out = new Float32Array(IMAGE_SIZE * IMAGE_SIZE);
  for (let y = 0; y < targetHeight; y++) {
    for (let x = 0; x < targetWidth; x++)
      out[(top + y) * IMAGE_SIZE + left + x] = Math.min(
        255,
        Math.round(resized[y * targetWidth + x]! * gain),
      );
  }
  return out;
}

/** The median of the four corner pixels (the upper of the middle two). */
function medianCorner(data: Uint8Array): number {
  const corners = [
    data[0]!,
    data[IMAGE_SIZE - 1]!,
    data[IMAGE_SIZE * (IMAGE_SIZE - 1)]!,
    data[IMAGE_SIZE * IMAGE_SIZE - 1]!,
  ].sort((a, b) => a - b);
  return corners[2]!;
}

function isUniform(data: Uint8Array): boolean {
  return data.every((value) => value === data[0]);
}
