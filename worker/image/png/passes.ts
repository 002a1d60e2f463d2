/**
 * The sub-images a PNG's data is made of (PNG 8.2): one for a plain image, seven for Adam7, each a
 * grid of pixels at (x0 + i*dx, y0 + j*dy), filtered as rows of its own. Empty passes are left out,
 * as they have no bytes in the data either.
 */

/** One sub-image: where its pixels sit in the full image and how many rows and columns it has. */
export interface Pass {
  x0: number;
  y0: number;
  dx: number;
  dy: number;
  width: number;
  height: number;
  /** Bytes of one filtered row without its filter-type byte. */
  rowBytes: number;
}

/** Adam7 passes as [x0, y0, dx, dy]. */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

/** The non-empty passes of a `width` x `height` image with `bitsPerPixel`, in data order. */
export function imagePasses(
  width: number,
  height: number,
  bitsPerPixel: number,
  interlaced: boolean,
): Pass[] {
  const grids = interlaced ? ADAM7 : ([[0, 0, 1, 1]] as const);
  const passes: Pass[] = [];
  for (const [x0, y0, dx, dy] of grids) {
    const passWidth = Math.ceil((width - x0) / dx);
    const passHeight = Math.ceil((height - y0) / dy);
    if (passWidth <= 0 || passHeight <= 0) continue;
    passes.push({
      x0,
      y0,
      dx,
      dy,
      width: passWidth,
      height: passHeight,
      rowBytes: Math.ceil((passWidth * bitsPerPixel) / 8),
    });
  }
  return passes;
}

/** Size of the inflated image data: per row one filter-type byte plus the packed samples (PNG 7.2). */
export function inflatedSize(passes: readonly Pass[]): number {
  return passes.reduce((sum, pass) => sum + pass.height * (1 + pass.rowBytes), 0);
}
