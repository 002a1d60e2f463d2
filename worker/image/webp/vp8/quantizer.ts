/**
 * Dequantisation (RFC 6386, 9.6 and 14.1): the frame's quantiser index, its per-plane deltas and the
 * segments' levels give each segment the factors its coefficients are multiplied by. Only luma's are
 * kept (Y1 for the 4x4 blocks, Y2 for the 16x16 macroblocks' second-order DC block).
 */
import type { BoolDecoder } from './bool-decoder.ts';
import type { SegmentHeader } from './frame-header.ts';

/** Dequantisation factors of one segment: [DC, AC] of each luma block type. */
export interface LumaQuantizer {
  y1: Int32Array;
  y2: Int32Array;
}

/** Quantiser index 0..127 -> DC step (14.1). */
// prettier-ignore
const DC_STEPS = Uint8Array.of(
  4, 5, 6, 7, 8, 9, 10, 10, 11, 12, 13, 14, 15, 16, 17, 17,
  18, 19, 20, 20, 21, 21, 22, 22, 23, 23, 24, 25, 25, 26, 27, 28,
  29, 30, 31, 32, 33, 34, 35, 36, 37, 37, 38, 39, 40, 41, 42, 43,
  44, 45, 46, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58,
  59, 60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71, 72, 73, 74,
  75, 76, 76, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89,
  91, 93, 95, 96, 98, 100, 101, 102, 104, 106, 108, 110, 112, 114, 116, 118,
  122, 124, 126, 128, 130, 132, 134, 136, 138, 140, 143, 145, 148, 151, 154, 157,
);

/** Quantiser index 0..127 -> AC step (14.1). */
// prettier-ignore
const AC_STEPS = Uint16Array.of(
  4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19,
  20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35,
  36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51,
  52, 53, 54, 55, 56, 57, 58, 60, 62, 64, 66, 68, 70, 72, 74, 76,
  78, 80, 82, 84, 86, 88, 90, 92, 94, 96, 98, 100, 102, 104, 106, 108,
  110, 112, 114, 116, 119, 122, 125, 128, 131, 134, 137, 140, 143, 146, 149, 152,
  155, 158, 161, 164, 167, 170, 173, 177, 181, 185, 189, 193, 197, 201, 205, 209,
  213, 217, 221, 225, 229, 234, 239, 245, 249, 254, 259, 264, 269, 274, 279, 284,
);

const index = (q: number): number => Math.min(127, Math.max(0, q));

/**
 * Reads the quantiser indices (9.6) and returns the four segments' factors. Chroma's deltas are
 * read past. Y2's factors are scaled as the specification says (DC x 2, AC x 155/100, at least 8).
 */
export function segmentQuantizers(modes: BoolDecoder, segments: SegmentHeader): LumaQuantizer[] {
  const base = modes.literal(7);
  const y1Dc = modes.optionalSigned(4);
  const y2Dc = modes.optionalSigned(4);
  const y2Ac = modes.optionalSigned(4);
  modes.optionalSigned(4); // chroma DC
  modes.optionalSigned(4); // chroma AC
  return [0, 1, 2, 3].map((segment) => {
    const level = segments.levels?.[segment] ?? 0;
    const q = segments.levels && segments.absolute ? level : base + level;
    return {
      y1: Int32Array.of(DC_STEPS[index(q + y1Dc)]!, AC_STEPS[index(q)]!),
      y2: Int32Array.of(
        DC_STEPS[index(q + y2Dc)]! * 2,
        Math.max(8, Math.floor((AC_STEPS[index(q + y2Ac)]! * 155) / 100)),
      ),
    };
  });
}
