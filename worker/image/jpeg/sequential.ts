/**
 * Sequential (baseline and extended) Huffman decoding of one block (T.81 F.2.2): every coefficient
 * is decoded, because the next block's codes start after them, but only the low frequencies the
 * chosen scale needs are kept.
 */
import type { BitReader } from './bits.ts';
import type { FrameComponent } from './frame.ts';
import { corrupt } from './limits.ts';
import { END_OF_BLOCK, SKIP_BITS, skipLookup } from './skips.ts';
import { LOOKUP_BITS, ZIGZAG } from './tables.ts';

/**
 * Decodes one block, writing the quantised coefficients of zigzag index < `keep` into `block` (natural
 * order; the caller clears them afterwards). `keep` = 0 only skips the block.
 * Most symbols (code and magnitude within LOOKUP_BITS, end-of-block included) are read with one
 * lookup straight from the bit buffer, held in locals; the others go through the reader.
 */
export function decodeSequentialBlock(
  reader: BitReader,
  component: FrameComponent,
  block: Int16Array,
  keep: number,
): void {
  if (reader.count < 16) reader.fill();
  const dc = component.dcTable!.coefficients[reader.buffer >>> (32 - LOOKUP_BITS)]!;
  if (dc !== 0) {
    reader.buffer <<= dc & 15;
    reader.count -= dc & 15;
    component.predictor += dc >> 12;
  } else {
    const size = reader.decode(component.dcTable!);
    if (size !== 0) component.predictor += reader.signed(size);
  }
  if (keep > 0) block[0] = component.predictor;
  const acTable = component.acTable!;
  const wholes = acTable.coefficients;
  // Built on the first block that drops coefficients: a full-scale decode never reads it.
  const skips = keep < 64 ? skipLookup(acTable) : undefined;
  let buffer = reader.buffer;
  let count = reader.count;
  for (let k = 1; k < 64;) {
    if (count < 16) {
      reader.buffer = buffer;
      reader.count = count;
      reader.fill();
      buffer = reader.buffer;
      count = reader.count;
    }
    if (skips && k >= keep) {
      // Past the kept frequencies: take the next whole symbols at once, unless one of them would
      // start past the block or put a coefficient there (the single-symbol path below ends the
      // block or reports it, as it always did).
      const run = skips[buffer >>> (32 - SKIP_BITS)]!;
      if (run !== 0 && k + ((run >> 4) & 127) < 64 && k + ((run >> 11) & 127) <= 64) {
        buffer <<= run & 15;
        count -= run & 15;
        if (run & END_OF_BLOCK) break;
        k += (run >> 18) & 127;
        continue;
      }
    }
    const whole = wholes[buffer >>> (32 - LOOKUP_BITS)]!;
    if (whole !== 0) {
      buffer <<= whole & 15;
      count -= whole & 15;
      const value = whole >> 12;
      const run = (whole >> 4) & 15;
      if (value === 0) {
        if (run !== 15) break; // end of block
        k += 16;
        continue;
      }
      k += run;
      if (k > 63) throw corrupt('a block has more than 64 coefficients');
      if (k < keep) block[ZIGZAG[k]!] = value;
      k++;
      continue;
    }
    reader.buffer = buffer;
    reader.count = count;
    const symbol = reader.decode(acTable);
    const size = symbol & 15;
    const run = symbol >> 4;
    if (size === 0)
      k += run === 15 ? 16 : 64; // sixteen zeros, or the end of the block
    else {
      k += run;
      if (k > 63) throw corrupt('a block has more than 64 coefficients');
      if (k < keep) block[ZIGZAG[k]!] = reader.signed(size);
      else reader.skip(size);
      k++;
    }
    buffer = reader.buffer;
    count = reader.count;
  }
  reader.buffer = buffer;
  reader.count = count;
}
