/**
 * RGBA to the pipeline's luma (GrayImage), reduced on the way by an integer area factor, so that a
 * full-size decode is never held as gray or float as well.
 */
import { luma, overWhite, type GrayImage } from '../gray.ts';
import type { RgbaImage } from './libwebp.ts';

/**
 * BT.601 luma in 16-bit fixed point (the weights sum to 65536, so gray stays gray), alpha composited
 * over white as every decoder writes it (gray.ts), then each factor x factor block averaged (rounded half up). Blocks
 * on the right and bottom edges may be partial; they average the pixels they hold.
 */
export function rgbaToGray(image: RgbaImage, factor: number): GrayImage {
  const { width, height, data } = image;
  const outWidth = Math.ceil(width / factor);
  const outHeight = Math.ceil(height / factor);
  const out = new Uint8Array(outWidth * outHeight);
  const sums = new Uint32Array(outWidth);
  for (let y = 0, i = 0; y < height; y++) {
    for (let ox = 0, x = 0; ox < outWidth; ox++) {
      let sum = 0;
      for (const end = Math.min(width, x + factor); x < end; x++, i += 4) {
        const value = luma(data[i]!, data[i + 1]!, data[i + 2]!);
        const alpha = data[i + 3]!;
        sum += alpha === 255 ? value : overWhite(value, alpha);
      }
      sums[ox] = sums[ox]! + sum;
    }
    if ((y + 1) % factor !== 0 && y !== height - 1) continue;
    const rows = (y % factor) + 1;
    const row = ((y / factor) | 0) * outWidth;
    for (let ox = 0; ox < outWidth; ox++) {
      const count = rows * (Math.min(width, (ox + 1) * factor) - ox * factor);
      out[row + ox] = ((2 * sums[ox]! + count) / (2 * count)) | 0;
    }
    sums.fill(0);
  }
  return { width: outWidth, height: outHeight, data: out };
}
