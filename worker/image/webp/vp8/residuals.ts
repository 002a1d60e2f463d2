/**
 * A macroblock's residual tokens (RFC 6386, 13): the second-order DC block of a 16x16-predicted
 * macroblock, its sixteen luma blocks and eight chroma blocks, each coded against the probabilities
 * of its type, band and neighbours. Chroma must be read to reach the next macroblock; only luma's
 * coefficients are kept.
 */
import type { BoolDecoder } from './bool-decoder.ts';
import { inverseWalshHadamard } from './transforms.ts';

/** Block types, which select the probabilities (13.3). */
const Y_AFTER_Y2 = 0;
const Y2 = 1;
const CHROMA = 2;
const Y_WITH_DC = 3;

/** Probabilities per block type: 8 bands x 3 contexts x 11 tree nodes. */
const TYPE_STRIDE = 8 * 3 * 11;

/** Offset of each coefficient position's band (13.3); the 17th is where a block's last coefficient points. */
const BAND_OFFSETS = Uint16Array.from(
  [0, 1, 2, 3, 6, 4, 5, 6, 6, 6, 6, 6, 6, 6, 6, 7, 0],
  (band) => band * 33,
);

/** Coefficient order in the bitstream -> raster position in the 4x4 block. */
const ZIGZAG = Uint8Array.of(0, 1, 4, 8, 5, 2, 3, 6, 9, 12, 13, 10, 7, 11, 14, 15);

/** Extra-bit probabilities of DCT_CAT3..DCT_CAT6 (13.2), whose values start at 11, 19, 35 and 67. */
const CATEGORY_BITS = [
  Uint8Array.of(173, 148, 140),
  Uint8Array.of(176, 155, 140, 135),
  Uint8Array.of(180, 157, 141, 134, 130),
  Uint8Array.of(254, 254, 243, 230, 196, 177, 153, 140, 133, 130, 129),
];

/** What a luma block's inverse transform has to do: nothing, add its DC to every pixel, or the whole transform. */
const NO_RESIDUAL = 0;
export const DC_ONLY = 1;
export const FULL_TRANSFORM = 2;

/** The magnitude of a token past DCT_ONE (13.2): 2..4 directly, then categories with extra bits. */
function largeValue(d: BoolDecoder, probs: Uint8Array, p: number): number {
  if (!d.bit(probs[p + 3]!)) return d.bit(probs[p + 4]!) ? 3 + d.bit(probs[p + 5]!) : 2;
  if (!d.bit(probs[p + 6]!)) {
    if (!d.bit(probs[p + 7]!)) return 5 + d.bit(159);
    return 7 + 2 * d.bit(165) + d.bit(145);
  }
  const high = d.bit(probs[p + 8]!);
  const category = 2 * high + d.bit(probs[p + 9 + high]!);
  let v = 0;
  for (const probability of CATEGORY_BITS[category]!) v = 2 * v + d.bit(probability);
  return v + 3 + (8 << category);
}

/**
 * Decodes one block's tokens from position `n` into `out[at..at+15]` (raster order, dequantised by
 * `dc` for position 0 and `ac` for the rest). Returns the position after the last non-zero
 * coefficient (`n` when the block ends at once).
 *
 * The token loop is most of a decode's time, so it makes its decisions on local copies of the
 * decoder's state (the same arithmetic as BoolDecoder.bit), handing the state back for the rarer
 * large values and refills.
 */
function readBlock(
  d: BoolDecoder,
  probs: Uint8Array,
  type: number,
  context: number,
  dc: number,
  ac: number,
  n: number,
  out: Int16Array,
  at: number,
): number {
  const base = type * TYPE_STRIDE;
  let p = base + BAND_OFFSETS[n]! + context * 11;
  let { range, value, bits } = d;
  let split = 0;
  for (; n < 16; n++) {
    // Decision at node 0: is there another non-zero coefficient (or does the block end)?
    if (bits < 0) ({ value, bits } = refill(d, value, bits));
    split = 1 + (((range - 1) * probs[p]!) >> 8);
    if (value < split << bits) {
      range = split;
      if (range < 128) ((bits -= NORMALIZE[range]!), (range <<= NORMALIZE[range]!));
      break;
    }
    value -= split << bits;
    range -= split;
    if (range < 128) ((bits -= NORMALIZE[range]!), (range <<= NORMALIZE[range]!));
    // Node 1, repeated: zeros until a non-zero coefficient (a block cannot end straight after a zero).
    for (;;) {
      if (bits < 0) ({ value, bits } = refill(d, value, bits));
      split = 1 + (((range - 1) * probs[p + 1]!) >> 8);
      if (value >= split << bits) {
        value -= split << bits;
        range -= split;
        if (range < 128) ((bits -= NORMALIZE[range]!), (range <<= NORMALIZE[range]!));
        break;
      }
      range = split;
      if (range < 128) ((bits -= NORMALIZE[range]!), (range <<= NORMALIZE[range]!));
      if (++n === 16) {
        d.range = range;
        d.value = value;
        d.bits = bits;
        return 16;
      }
      p = base + BAND_OFFSETS[n]!;
    }
    // Node 2: one, or larger.
    if (bits < 0) ({ value, bits } = refill(d, value, bits));
    split = 1 + (((range - 1) * probs[p + 2]!) >> 8);
    let v = 1;
    let next = 11;
    if (value >= split << bits) {
      value -= split << bits;
      range -= split;
      if (range < 128) ((bits -= NORMALIZE[range]!), (range <<= NORMALIZE[range]!));
      d.range = range;
      d.value = value;
      d.bits = bits;
      v = largeValue(d, probs, p);
      ({ range, value, bits } = d);
      next = 22;
    } else {
      range = split;
      if (range < 128) ((bits -= NORMALIZE[range]!), (range <<= NORMALIZE[range]!));
    }
    // The sign, at probability 1/2.
    if (bits < 0) ({ value, bits } = refill(d, value, bits));
    split = (range + 1) >> 1;
    if (value >= split << bits) {
      value -= split << bits;
      range -= split;
      v = -v;
    } else range = split;
    if (range < 128) ((bits -= NORMALIZE[range]!), (range <<= NORMALIZE[range]!));
    out[at + ZIGZAG[n]!] = v * (n > 0 ? ac : dc); // Int16Array wraps as libwebp's int16_t does
    p = base + BAND_OFFSETS[n + 1]! + next;
  }
  d.range = range;
  d.value = value;
  d.bits = bits;
  return n;
}

/** Shifts that bring a range of 1..127 back to 128..255. */
const NORMALIZE = Uint8Array.from({ length: 128 }, (_, range) =>
  range === 0 ? 0 : Math.clz32(range) - 24,
);

/** Hands the local window to the decoder for a load and takes the result back. */
function refill(d: BoolDecoder, value: number, bits: number): BoolDecoder {
  d.value = value;
  d.bits = bits;
  d.load();
  return d;
}

/**
 * Reads the residuals of each macroblock of a frame in turn, keeping the "has non-zero
 * coefficients" flags of the blocks above and to the left, which select the next blocks' contexts.
 */
export class ResidualReader {
  /** Dequantised luma coefficients of the current macroblock: 16 blocks of 16, raster order within each. */
  readonly coefficients = new Int16Array(256);
  /** NO_RESIDUAL, DC_ONLY or FULL_TRANSFORM per luma block. */
  readonly transforms = new Uint8Array(16);
  private readonly topY: Uint8Array;
  private readonly topChroma: Uint8Array;
  private readonly topY2: Uint8Array;
  private readonly leftY = new Uint8Array(4);
  private readonly leftChroma = new Uint8Array(4);
  private leftY2 = 0;
  private readonly scratch = new Int16Array(16);

  constructor(
    mbWidth: number,
    private readonly probs: Uint8Array,
  ) {
    this.topY = new Uint8Array(mbWidth * 4);
    this.topChroma = new Uint8Array(mbWidth * 4); // U 2 columns, then V 2 columns, per macroblock
    this.topY2 = new Uint8Array(mbWidth);
  }

  /** Forgets the left neighbours' flags at the start of a macroblock row. */
  startRow(): void {
    this.leftY.fill(0);
    this.leftChroma.fill(0);
    this.leftY2 = 0;
  }

  /** A macroblock coded without residuals (its skip flag set): its blocks count as all zero. */
  skip(mbX: number, has16x16: boolean): void {
    this.topY.fill(0, mbX * 4, mbX * 4 + 4);
    this.topChroma.fill(0, mbX * 4, mbX * 4 + 4);
    this.leftY.fill(0);
    this.leftChroma.fill(0);
    if (has16x16) this.topY2[mbX] = this.leftY2 = 0;
    this.transforms.fill(NO_RESIDUAL);
  }

  /** Reads macroblock `mbX`'s residuals; its luma lands in `coefficients` and `transforms`. */
  read(d: BoolDecoder, mbX: number, has16x16: boolean, y1: Int32Array, y2: Int32Array): void {
    const { coefficients, transforms, probs, topY, leftY, scratch } = this;
    coefficients.fill(0);
    let first = 0;
    let type = Y_WITH_DC;
    if (has16x16) {
      scratch.fill(0);
      const end = readBlock(
        d,
        probs,
        Y2,
        this.topY2[mbX]! + this.leftY2,
        y2[0]!,
        y2[1]!,
        0,
        scratch,
        0,
      );
      this.topY2[mbX] = this.leftY2 = end > 0 ? 1 : 0;
      inverseWalshHadamard(scratch, coefficients);
      first = 1;
      type = Y_AFTER_Y2;
    }
    for (let by = 0; by < 4; by++) {
      for (let bx = 0; bx < 4; bx++) {
        const block = by * 4 + bx;
        const context = topY[mbX * 4 + bx]! + leftY[by]!;
        const end = readBlock(
          d,
          probs,
          type,
          context,
          y1[0]!,
          y1[1]!,
          first,
          coefficients,
          block * 16,
        );
        topY[mbX * 4 + bx] = leftY[by] = end > first ? 1 : 0;
        transforms[block] =
          end > 1 ? FULL_TRANSFORM : coefficients[block * 16] !== 0 ? DC_ONLY : NO_RESIDUAL;
      }
    }
    // U then V, each 2x2 blocks; their values are not needed, only where the next token starts.
    for (let plane = 0; plane < 4; plane += 2) {
      for (let by = 0; by < 2; by++) {
        for (let bx = 0; bx < 2; bx++) {
          const top = mbX * 4 + plane + bx;
          const left = plane + by;
          const context = this.topChroma[top]! + this.leftChroma[left]!;
          const end = readBlock(d, probs, CHROMA, context, 0, 0, 0, scratch, 0);
          this.topChroma[top] = this.leftChroma[left] = end > 0 ? 1 : 0;
        }
      }
    }
  }
}
