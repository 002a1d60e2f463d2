/**
 * Runs of AC symbols decoded in one lookup, for the coefficients a reduced-scale decode drops: past
 * the few low frequencies it keeps, a block's codes only have to be walked to find where the next
 * block starts, so all that matters of each symbol is how many bits it takes and how far it moves
 * the coefficient index. Codes and magnitudes are short (about 4 bits together on average in the
 * benchmark's 512x512 photo), so the next SKIP_BITS bits often hold two or more whole symbols.
 * 10 bits measured best for a 512x512 photo (0.87x its decode time; 12 bits: 0.93x): wider tables
 * save a little more on large photos but cost more to build, for both AC tables of every image.
 */
import { LOOKUP_BITS, type HuffmanTable } from './tables.ts';

/** Bits of one skip lookup: the bit buffer always holds at least 16 when a symbol is read. */
export const SKIP_BITS = 10;

/** Set in an entry whose run ends with the block's end-of-block code. */
export const END_OF_BLOCK = 1 << 25;

/**
 * The skip lookup of AC table `table`, built on its first use (2^SKIP_BITS entries) and kept on
 * it. Entry fields: bits used (4 bits), the index advance before the run's last symbol (7 bits, at
 * 4), the advance just past its last nonzero coefficient (7 bits, at 11; 0 if none), the advance of
 * the whole run (7 bits, at 18), END_OF_BLOCK. 0: not even one symbol fits in SKIP_BITS.
 */
export function skipLookup(table: HuffmanTable): Int32Array {
  return (table.skips ??= buildSkips(table.coefficients));
}

function buildSkips(coefficients: Int32Array): Int32Array {
  const skips = new Int32Array(1 << SKIP_BITS);
  const mask = (1 << SKIP_BITS) - 1;
  for (let pattern = 0; pattern < 1 << SKIP_BITS; pattern++) {
    let used = 0;
    let advance = 0;
    let beforeLast = 0;
    let pastNonzero = 0;
    let end = 0;
    // Whole symbols while they fit in the window; a run stops once its index passes the block.
    while (used < SKIP_BITS && advance < 64) {
      const whole = coefficients[((pattern << used) & mask) >> (SKIP_BITS - LOOKUP_BITS)]!;
      const length = whole & 15;
      if (whole === 0 || length > SKIP_BITS - used) break;
      const value = whole >> 12;
      const run = (whole >> 4) & 15;
      beforeLast = advance;
      used += length;
      if (value === 0 && run !== 15) {
        end = END_OF_BLOCK;
        break;
      }
      advance += value === 0 ? 16 : run + 1;
      if (value !== 0) pastNonzero = advance;
    }
    if (used > 0)
      skips[pattern] = used | (beforeLast << 4) | (pastNonzero << 11) | (advance << 18) | end;
  }
  return skips;
}
