/**
 * Area downsampling by an integer factor as pixels arrive, in any row order (Adam7 delivers them
 * spread over seven passes), so that no full-size raster is ever held.
 */
import type { GrayImage } from './gray.ts';

/**
 * Sums of k x k pixel blocks of a width x height image (the blocks at the right and bottom edges may
 * be smaller); each output pixel is the rounded mean of its block.
 */
export class AreaGrid {
  readonly width: number;
  readonly height: number;
  /** Block sums; exact in float64 whatever the block size. Absent when k = 1: pixels go straight to `data`. */
  private readonly sums: Float64Array | null;
  private readonly data: Uint8Array;

  constructor(
    private readonly sourceWidth: number,
    private readonly sourceHeight: number,
    private readonly k: number,
  ) {
    this.width = Math.ceil(sourceWidth / k);
    this.height = Math.ceil(sourceHeight / k);
    this.data = new Uint8Array(this.width * this.height);
    this.sums = k === 1 ? null : new Float64Array(this.width * this.height);
  }

  /** Adds `count` luma values for the pixels (x0 + i*dx, y) of the source image. */
  add(luma: Uint8Array, count: number, y: number, x0: number, dx: number): void {
    const { k, sums } = this;
    const rowStart = Math.floor(y / k) * this.width;
    if (!sums) {
      for (let i = 0, x = x0; i < count; i++, x += dx) this.data[rowStart + x] = luma[i]!;
      return;
    }
    if (dx === 1) {
      // A plain row: sum each block's run of pixels locally, one store per block.
      for (let block = Math.floor(x0 / k), i = 0; i < count; block++) {
        const end = Math.min(count, (block + 1) * k - x0);
        let sum = 0;
        for (; i < end; i++) sum += luma[i]!;
        sums[rowStart + block] = sums[rowStart + block]! + sum;
      }
      return;
    }
    // An Adam7 pass row: walk the block index and its right edge instead of dividing per pixel.
    let block = Math.floor(x0 / k);
    let edge = (block + 1) * k;
    for (let i = 0, x = x0; i < count; i++, x += dx) {
      while (x >= edge) (block++, (edge += k));
      sums[rowStart + block] = sums[rowStart + block]! + luma[i]!;
    }
  }

  /**
   * Adds the whole source row `y`, read from `source[from..]` through `map` (stored value -> luma),
   * without a luma copy of the row in between.
   */
  addMappedRow(source: Uint8ClampedArray, from: number, y: number, map: Uint8Array): void {
    const { k, sums, sourceWidth } = this;
    const rowStart = Math.floor(y / k) * this.width;
    if (!sums) {
      for (let x = 0; x < sourceWidth; x++) this.data[rowStart + x] = map[source[from + x]!]!;
      return;
    }
    for (let block = rowStart, x = 0; x < sourceWidth; block++) {
      const end = Math.min(sourceWidth, x + k);
      let sum = 0;
      for (; x < end; x++) sum += map[source[from + x]!]!;
      sums[block] = sums[block]! + sum;
    }
  }

  /** The downsampled image: each block's mean, rounded. */
  result(): GrayImage {
    const { k, sums, width, height, data } = this;
    if (sums) {
      for (let by = 0; by < height; by++) {
        const rows = Math.min(k, this.sourceHeight - by * k);
        for (let bx = 0; bx < width; bx++) {
          const area = rows * Math.min(k, this.sourceWidth - bx * k);
          data[by * width + bx] = Math.round(sums[by * width + bx]! / area);
        }
      }
    }
    return { width, height, data };
  }
}
