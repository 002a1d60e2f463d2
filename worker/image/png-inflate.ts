/**
 * Guards fast-png against zlib bombs. The IHDR size check cannot catch a PNG that declares 1x1 pixels
 * but carries image data inflating to gigabytes: fast-png inflates everything it is given into memory
 * (measured: a 300 kB file costs ~1 GB and 5 s). So before fast-png runs, the image data is inflated
 * once in small slices, counting and discarding the output, and the image is rejected the moment it
 * yields more than its header allows.
 */
import { Unzlib } from 'fflate';
import { Problem } from '../http/problem.ts';
import type { ImageHeader } from './sniff.ts';

/**
 * Compressed bytes pushed to the inflater at a time. Deflate expands at most ~1032:1, so one slice
 * can produce at most ~4 MB before the running total is checked again.
 */
const SLICE_BYTES = 4096;

const CHANNELS: Record<ImageHeader['colorType'], number> = { gray: 1, 'gray-alpha': 2, rgb: 3, rgba: 4, palette: 1, cmyk: 4 };

/** Adam7 passes as [x start, y start, x step, y step] (PNG 8.2). */
const ADAM7: readonly (readonly [number, number, number, number])[] = [
  [0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2],
];

/** Size of the inflated image data: per scanline one filter-type byte plus the packed samples (PNG 7.2). */
export function expectedDataBytes(header: ImageHeader): number {
  const bitsPerPixel = CHANNELS[header.colorType] * header.bitDepth;
  const size = (width: number, height: number) => (width > 0 && height > 0 ? height * (1 + Math.ceil((width * bitsPerPixel) / 8)) : 0);
  if (!header.interlaced) return size(header.width, header.height);
  return ADAM7.reduce((sum, [x0, y0, dx, dy]) => sum + size(Math.ceil((header.width - x0) / dx), Math.ceil((header.height - y0) / dy)), 0);
}

/**
 * Inflates the PNG's IDAT stream without keeping the output and checks that it has exactly the size
 * the header implies.
 * @throws Problem 400 when the chunk structure is truncated, the zlib stream is corrupt or incomplete,
 *   or the data is larger or smaller than declared.
 */
export function checkPngDataSize(bytes: Uint8Array, header: ImageHeader): void {
  const expected = expectedDataBytes(header);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let inflated = 0;
  const inflater = new Unzlib((chunk) => {
    inflated += chunk.length;
  });
  const corrupt = (why: string) => new Problem(400, 'Bad Request', `The PNG image is truncated or corrupt: ${why}.`);
  try {
    for (let offset = 8; ; ) {
      if (offset + 8 > bytes.length) throw corrupt('it ends before the IEND chunk');
      const length = view.getUint32(offset);
      const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
      const end = offset + 12 + length;
      if (end > bytes.length) throw corrupt(`the ${type} chunk is cut off`);
      if (type === 'IEND') break;
      if (type === 'IDAT') {
        for (let at = offset + 8; at < end - 4; at += SLICE_BYTES) {
          inflater.push(bytes.subarray(at, Math.min(at + SLICE_BYTES, end - 4)), false);
          if (inflated > expected) throw corrupt(`the image data inflates to more than the ${expected} bytes its header declares`);
        }
      }
      offset = end;
    }
    // The final push fails when the zlib stream itself is incomplete.
    inflater.push(new Uint8Array(0), true);
  } catch (error) {
    if (error instanceof Problem) throw error;
    throw corrupt(`invalid compressed image data (${error instanceof Error ? error.message : String(error)})`);
  }
  if (inflated !== expected) throw corrupt(`the image data inflates to ${inflated} bytes, but its header declares ${expected}`);
}
