/**
 * The work a JPEG may demand, each judged before the work is done: a file that asks for more is
 * refused (413 for an image too large, 400 for a structure no encoder produces) rather than decoded.
 */
import { badRequest, type Problem } from '../../http/problem.ts';

/** Largest accepted width x height: a 24 MP phone photo (6000x4000) with room to spare. */
export const MAX_JPEG_PIXELS = 25_000_000;

/**
 * Marker segments of any kind per file. Real files carry a few dozen (APPn, COM, DQT, DHT, SOF, SOS);
 * a cap keeps a body of thousands of tiny segments from costing a walk and a table build each.
 */
export const MAX_SEGMENTS = 2048;

/**
 * Scans per file. libjpeg's and mozjpeg's progressive scripts have 9 or 10; each scan costs at least
 * a pass over its blocks, so thousands of one-EOB-run scans would cost seconds.
 */
export const MAX_SCANS = 64;

/**
 * Block visits over all scans, per block of the frame (all components). libjpeg's and mozjpeg's
 * scripts visit a luma block 4 to 6 times and a chroma block 3 or 4 (5.3 per block at 4:2:0); 10
 * leaves room for other scripts and keeps a 24 MP file of scans that each touch every block (one
 * bit per block in DC refinement) to about 11 million visits.
 */
export const MAX_VISITS_PER_BLOCK = 10;

/** Huffman and quantisation tables defined per file, redefinitions included (libjpeg's progressive writes 2 to 4 per scan). */
export const MAX_TABLE_DEFINITIONS = 512;

/** The 400 for a file that breaks the format or one of the caps above. */
export function corrupt(why: string): Problem {
  return badRequest(`the JPEG image is truncated or corrupt: ${why}`);
}
