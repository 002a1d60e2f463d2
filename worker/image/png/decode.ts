/**
 * Decodes a PNG to downsampled luma in one streaming pass: the IDAT data is inflated slice by slice
 * (fflate; small images in one go), each row is unfiltered, turned to luma and added to k x k block sums as it arrives, so
 * memory stays at two rows plus the small output whatever the image size.
 */
import { Problem } from '../../http/problem.ts';
import type { GrayImage } from '../gray.ts';
import { Adler32 } from './adler32.ts';
import { areaFactor } from '../scale.ts';
import { AreaGrid } from '../area.ts';
import { corruptPng, type PngHeader } from './header.ts';
import { pushImageData } from './idat.ts';
import { createInflater } from './inflate.ts';
import { rowToLuma } from './luma.ts';
import { imagePasses } from './passes.ts';
import { RowAssembler } from './rows.ts';

/**
 * Decodes the PNG whose header `readPngHeader` has read and judged, area-averaged by the largest
 * integer factor k that keeps its long side at least `longSide` (k = 1 for smaller images).
 * @throws Problem 400 when a CRC or the Adler-32 fails, the compressed data is invalid, a row has a
 *   bad filter type or palette index, or the data inflates to more or fewer bytes than the header implies.
 */
export function decodePng(bytes: Uint8Array, header: PngHeader, longSide: number): GrayImage {
  const { width, height, bitDepth, channels, interlaced, inflatedBytes } = header;
  const passes = imagePasses(width, height, channels * bitDepth, interlaced);
  const grid = new AreaGrid(width, height, areaFactor(width, height, longSide));
  const toLuma = rowToLuma(header, width);
  const luma = new Uint8Array(width);
  const bpp = Math.max(1, (channels * bitDepth) >> 3);
  const rows = new RowAssembler(passes, bpp, inflatedBytes, (row, pass, index) => {
    toLuma(row, pass.width, luma);
    grid.add(luma, pass.width, pass.y0 + index * pass.dy, pass.x0, pass.dx);
  });
  const adler = new Adler32();
  let trailer: number;
  try {
    const { sink, slice } = createInflater(header.compressedBytes, inflatedBytes, (chunk) => {
      adler.update(chunk);
      rows.write(chunk);
    });
    trailer = pushImageData(bytes, header.dataOffset, sink, slice);
  } catch (error) {
    if (error instanceof Problem) throw error;
    throw corruptPng(
      `its compressed image data is invalid (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  if (!rows.done)
    throw corruptPng(
      `its image data inflates to ${rows.received} bytes, but its header implies ${inflatedBytes}`,
    );
  if (adler.value !== trailer) throw corruptPng('its image data fails the Adler-32 check');
  return grid.result();
}
