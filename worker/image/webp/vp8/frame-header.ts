/**
 * A VP8 key frame's header (RFC 6386, 9): the frame tag and size, then the first partition's global
 * header (segments, loop filter, partitions, quantisers, token probabilities), read in the order the
 * bitstream holds them. What the luma decoder needs is kept; the rest is read and passed over.
 */
import { corrupt } from '../header.ts';
import { BoolDecoder } from './bool-decoder.ts';
import {
  COEFFICIENT_UPDATE_PROBABILITIES,
  DEFAULT_COEFFICIENT_PROBABILITIES,
} from './coefficient-probabilities.ts';
import { segmentQuantizers, type LumaQuantizer } from './quantizer.ts';

/** A key frame ready for macroblock decoding. */
export interface Vp8Frame {
  width: number;
  height: number;
  /** Size in 16x16 macroblocks; the decoded frame covers whole macroblocks. */
  mbWidth: number;
  mbHeight: number;
  /** The first partition, positioned at the per-macroblock header (segment, skip flag, modes). */
  modes: BoolDecoder;
  /** Token partitions: macroblock row y reads its residuals from partitions[y % partitions.length]. */
  partitions: BoolDecoder[];
  /** Per segment (0..3) luma dequantisation factors. */
  quantizers: LumaQuantizer[];
  /** Token probabilities after the header's updates, flattened as in coefficient-probabilities.ts. */
  probabilities: Uint8Array;
  /** Probabilities of the segment-id tree, when each macroblock carries its segment; else null. */
  segmentTree: Uint8Array | null;
  /** Probability that a macroblock has no non-zero coefficient, when the skip flag is coded; else null. */
  skipProbability: number | null;
}

/** Frame tag (3 bytes), start code (3), width and height (2 each). */
const KEY_FRAME_HEADER_BYTES = 10;

/**
 * Reads a key frame's headers from a VP8 chunk's payload (`data`); the container's reader has
 * checked the frame tag, start code and size already.
 * @throws Problem 400 when a partition runs past the data or the header is cut off.
 */
export function readFrameHeader(data: Uint8Array): Vp8Frame {
  const tag = data[0]! | (data[1]! << 8) | (data[2]! << 16);
  if (((tag >> 4) & 1) === 0) throw corrupt('the VP8 frame is marked as not to be shown');
  const firstPartitionSize = tag >> 5;
  const width = (data[6]! | (data[7]! << 8)) & 0x3fff;
  const height = (data[8]! | (data[9]! << 8)) & 0x3fff;
  const modesEnd = KEY_FRAME_HEADER_BYTES + firstPartitionSize;
  if (modesEnd > data.length) throw corrupt('the first VP8 partition runs past the chunk');
  const modes = new BoolDecoder(data, KEY_FRAME_HEADER_BYTES, modesEnd);

  modes.literal(2); // colour space and clamping type: luma needs neither
  const segments = readSegmentHeader(modes);
  skipLoopFilterHeader(modes);
  const partitions = splitPartitions(data, modesEnd, modes.literal(2));
  const quantizers = segmentQuantizers(modes, segments);
  modes.bit(128); // refresh_entropy_probs: a still image has no next frame
  const probabilities = Uint8Array.from(DEFAULT_COEFFICIENT_PROBABILITIES);
  for (let i = 0; i < probabilities.length; i++) {
    if (modes.bit(COEFFICIENT_UPDATE_PROBABILITIES[i]!)) probabilities[i] = modes.literal(8);
  }
  const skipProbability = modes.bit(128) ? modes.literal(8) : null;
  if (modes.overrun) throw corrupt('the VP8 frame header is cut off');
  return {
    width,
    height,
    mbWidth: (width + 15) >> 4,
    mbHeight: (height + 15) >> 4,
    modes,
    partitions,
    quantizers,
    probabilities,
    segmentTree: segments.tree,
    skipProbability,
  };
}

/** Segment quantiser levels (absolute or deltas from the frame's) and the segment tree, 9.3. */
export interface SegmentHeader {
  /** Quantiser level per segment; null when segmentation is off. */
  levels: number[] | null;
  absolute: boolean;
  tree: Uint8Array | null;
}

function readSegmentHeader(modes: BoolDecoder): SegmentHeader {
  if (!modes.bit(128)) return { levels: null, absolute: true, tree: null };
  const updateMap = modes.bit(128) === 1;
  let levels = [0, 0, 0, 0];
  let absolute = true;
  if (modes.bit(128)) {
    absolute = modes.bit(128) === 1;
    levels = levels.map(() => modes.optionalSigned(7));
    for (let s = 0; s < 4; s++) modes.optionalSigned(6); // loop filter level per segment
  }
  const tree = updateMap
    ? Uint8Array.from([0, 1, 2], () => (modes.bit(128) ? modes.literal(8) : 255))
    : null;
  return { levels, absolute, tree };
}

/** The loop filter's type, level, sharpness and deltas (9.6): read past, since the luma decoder does not filter. */
function skipLoopFilterHeader(modes: BoolDecoder): void {
  modes.literal(1 + 6 + 3);
  if (modes.bit(128) && modes.bit(128)) {
    for (let i = 0; i < 8; i++) modes.optionalSigned(6);
  }
}

/**
 * The token partitions after the first (9.5): 2^`log2Count` of them, the sizes of all but the last
 * in 3-byte little-endian words before them; the last takes the rest. A size past the end is cut to
 * what remains, as libwebp does, and then runs out early, which the macroblock loop reports.
 */
function splitPartitions(data: Uint8Array, start: number, log2Count: number): BoolDecoder[] {
  const count = 1 << log2Count;
  let at = start + 3 * (count - 1);
  if (at > data.length) throw corrupt('the VP8 partition sizes are cut off');
  const partitions: BoolDecoder[] = [];
  for (let p = 0; p < count - 1; p++) {
    const word = start + 3 * p;
    const size = Math.min(
      data[word]! | (data[word + 1]! << 8) | (data[word + 2]! << 16),
      data.length - at,
    );
    partitions.push(new BoolDecoder(data, at, at + size));
    at += size;
  }
  if (at >= data.length) throw corrupt('the last VP8 token partition is empty');
  partitions.push(new BoolDecoder(data, at, data.length));
  return partitions;
}
