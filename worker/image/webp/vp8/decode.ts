/**
 * Lossy WebP (a VP8 key frame) to the pipeline's luma, area-averaged as it is decoded. Only what luma
 * needs is done: chroma's tokens are read but never reconstructed, and there is no loop filter (VP8
 * predicts from unfiltered pixels, so skipping it changes only pixels near block edges, which the
 * averaging then mixes). One row of macroblocks is held at a time, never the whole frame.
 */
import { AreaGrid } from '../../area.ts';
import type { GrayImage } from '../../gray.ts';
import { luma } from '../../gray.ts';
import { corrupt } from '../header.ts';
import { readFrameHeader } from './frame-header.ts';
import { ModeReader } from './modes.ts';
import { predict16, predict4 } from './predict.ts';
import { DC_ONLY, FULL_TRANSFORM, ResidualReader } from './residuals.ts';
import { addInverseDc, addInverseDct } from './transforms.ts';

/**
 * Studio-range Y (16..235) to the gray libwebp's RGB gives it (BT.601, chroma neutral), so that a
 * photo reads the same here as through a full decode and gray.ts's luma.
 */
const Y_TO_GRAY = Uint8Array.from({ length: 256 }, (_, y) => {
  const clip = (v: number): number => (v < 0 ? 0 : v > 16383 ? 255 : v >> 6);
  const scaled = (y * 19077) >> 8;
  return luma(clip(scaled - 1160), clip(scaled - 1161), clip(scaled - 1160));
});

/**
 * Decodes the VP8 chunk payload `data` (whose frame tag, start code and size the container's reader
 * has checked) to luma averaged over `factor` x `factor` blocks.
 * @throws Problem 400 when a partition ends before the macroblocks it should hold.
 */
export function decodeVp8Luma(data: Uint8Array, factor: number): GrayImage {
  const frame = readFrameHeader(data);
  const { width, height, mbWidth, mbHeight, modes, partitions, quantizers } = frame;
  const modeReader = new ModeReader(mbWidth, frame.segmentTree, frame.skipProbability);
  const residuals = new ResidualReader(mbWidth, frame.probabilities);
  const grid = new AreaGrid(width, height, factor);

  // One macroblock row, with the row above it (row 0) and a column to its left; 4 spare columns on
  // the right hold the above-right pixels the last macroblock's 4x4 blocks predict from.
  const stride = 1 + mbWidth * 16 + 4;
  const plane = new Uint8ClampedArray(17 * stride);
  plane.fill(127, 0, stride); // above the frame
  for (let y = 1; y <= 16; y++) plane[y * stride] = 129; // left of the frame

  for (let mbY = 0; mbY < mbHeight; mbY++) {
    const tokens = partitions[mbY % partitions.length]!;
    modeReader.startRow();
    residuals.startRow();
    for (let mbX = 0; mbX < mbWidth; mbX++) {
      const header = modeReader.read(modes, mbX);
      const has16x16 = header.mode16 >= 0;
      if (header.skip) residuals.skip(mbX, has16x16);
      else {
        const { y1, y2 } = quantizers[header.segment]!;
        residuals.read(tokens, mbX, has16x16, y1, y2);
      }
      if (modes.overrun || tokens.overrun)
        throw corrupt(`the VP8 data ends in macroblock row ${mbY} of ${mbHeight}`);
      reconstruct(
        plane,
        stride,
        1 + stride + mbX * 16,
        mbX,
        mbY,
        header.mode16,
        header.subblockModes,
        residuals,
      );
    }
    for (let y = 0; y < 16 && mbY * 16 + y < height; y++)
      grid.addMappedRow(plane, (y + 1) * stride + 1, mbY * 16 + y, Y_TO_GRAY);
    // The last row becomes the next row's "above" (its left corner is 129, as VP8 wants); the
    // spare columns repeat its last pixel, the above-right of the rightmost macroblock.
    plane.copyWithin(0, 16 * stride, 17 * stride);
    plane.fill(plane[mbWidth * 16]!, 1 + mbWidth * 16, stride);
  }
  return grid.result();
}

/** Offsets of the 16 4x4 blocks of a macroblock, in raster order, for a plane of `stride`. */
const blockOffset = (block: number, stride: number): number =>
  (block >> 2) * 4 * stride + (block & 3) * 4;

/** Predicts macroblock (mbX, mbY), whose top-left pixel is `plane[at]`, and adds its residuals. */
function reconstruct(
  plane: Uint8ClampedArray,
  stride: number,
  at: number,
  mbX: number,
  mbY: number,
  mode16: number,
  subblockModes: Uint8Array,
  residuals: ResidualReader,
): void {
  const { coefficients, transforms } = residuals;
  if (mode16 >= 0) predict16(mode16, plane, at, stride, mbY > 0, mbX > 0);
  else {
    // The above-right pixels of the right column's blocks below the first are those of the first
    // (the macroblock to the right is not decoded yet): copy them down, over pixels it will overwrite.
    const aboveRight = at - stride + 16;
    for (let row = 4; row < 16; row += 4)
      plane.copyWithin(at + (row - 1) * stride + 16, aboveRight, aboveRight + 4);
  }
  for (let block = 0; block < 16; block++) {
    const blockAt = at + blockOffset(block, stride);
    if (mode16 < 0) predict4(subblockModes[block]!, plane, blockAt, stride);
    const transform = transforms[block];
    if (transform === FULL_TRANSFORM)
      addInverseDct(coefficients, block * 16, plane, blockAt, stride);
    else if (transform === DC_ONLY) addInverseDc(coefficients[block * 16]!, plane, blockAt, stride);
  }
}
