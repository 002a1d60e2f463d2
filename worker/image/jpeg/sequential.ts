/**
 * Sequential (baseline and extended) Huffman decoding of one block (T.81 F.2.2): every coefficient
 * is decoded, because the next block's codes start after them, but only the low frequencies the
 * chosen scale needs are kept.
 */
import type { BitReader } from './bits.ts';
import type { FrameComponent } from './frame.ts';
import { corrupt } from './limits.ts';
import { ZIGZAG } from './tables.ts';

/**
 * Decodes one block, writing the quantised coefficients of zigzag index < `keep` into `block` (natural
 * order; the caller clears it afterwards). `keep` = 0 only skips the block.
 */
export function decodeSequentialBlock(reader: BitReader, component: FrameComponent, block: Int16Array, keep: number): void {
  const dcSize = reader.decode(component.dcTable!);
  if (dcSize !== 0) component.predictor += reader.signed(dcSize);
  if (keep > 0) block[0] = component.predictor;
  const acTable = component.acTable!;
  for (let k = 1; k < 64; ) {
    const whole = reader.coefficient(acTable);
    if (whole !== 0) {
      k += (whole >> 4) & 15;
      if (k > 63) throw corrupt('a block has more than 64 coefficients');
      if (k < keep) block[ZIGZAG[k]!] = whole >> 12;
      k++;
      continue;
    }
    const symbol = reader.decode(acTable);
    const size = symbol & 15;
    const run = symbol >> 4;
    if (size === 0) {
      if (run !== 15) return; // end of block
      k += 16; // sixteen zeros
      continue;
    }
    k += run;
    if (k > 63) throw corrupt('a block has more than 64 coefficients');
    if (k < keep) block[ZIGZAG[k]!] = reader.signed(size);
    else reader.skip(size);
    k++;
  }
}
