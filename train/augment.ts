/**
 * Training-time data augmentation on the typed-array batch (no tensors: on wasm every tensor op
 * is a pass over memory, and the batch is built in JS anyway). Fashion-MNIST garments are centred
 * and mostly symmetric left-right, so small shifts and mirroring give plausible new images.
 */
import { IMAGE_SIZE, PIXELS_PER_IMAGE } from '../classifier/architecture.ts';

/** Random changes applied to every training image, afresh each time it is drawn. */
export interface Augmentation {
  /** Largest shift in pixels along each axis; each shift is uniform in [-maxShift, maxShift]. */
  maxShift: number;
  /** Mirror left-right with probability 1/2. */
  flip: boolean;
}

/**
 * Writes image `index` of `images` into `out` at `at`, scaled to [0, 1]. With an augmentation it
 * is first shifted (vacated pixels become background, 0) and possibly mirrored, with numbers
 * drawn from `random` (two per image, three with flips).
 */
export function writeImage(
  images: Uint8Array,
  index: number,
  out: Float32Array,
  at: number,
  augmentation?: Augmentation,
  random?: () => number,
): void {
  const source = index * PIXELS_PER_IMAGE;
  if (!augmentation || !random) {
    for (let p = 0; p < PIXELS_PER_IMAGE; p++) out[at + p] = images[source + p]! / 255;
    return;
  }
  const span = 2 * augmentation.maxShift + 1;
  const shiftX = Math.floor(random() * span) - augmentation.maxShift;
  const shiftY = Math.floor(random() * span) - augmentation.maxShift;
  const mirror = augmentation.flip && random() < 0.5;
  for (let y = 0; y < IMAGE_SIZE; y++) {
    const sourceY = y - shiftY;
    for (let x = 0; x < IMAGE_SIZE; x++) {
      const shiftedX = x - shiftX;
      const sourceX = mirror ? IMAGE_SIZE - 1 - shiftedX : shiftedX;
      const inside = sourceY >= 0 && sourceY < IMAGE_SIZE && sourceX >= 0 && sourceX < IMAGE_SIZE;
      out[at + y * IMAGE_SIZE + x] = inside
        ? images[source + sourceY * IMAGE_SIZE + sourceX]! / 255
        : 0;
    }
  }
}
