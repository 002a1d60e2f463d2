/**
 * The entropy-coded data as a stream of bits (T.81 F.2.2.5): a 32-bit buffer, left-aligned, refilled
 * byte by byte, with stuffed 0xFF00 pairs turned back into 0xFF. At a marker (or the end of the
 * bytes) it feeds zero bits and counts them, so running out of data is detected, never read past.
 */
import { corrupt } from './limits.ts';
import { LOOKUP_BITS, type HuffmanTable } from './tables.ts';

export class BitReader {
  /**
   * Unread bits, most significant first; only the top `count` bits are valid. Public for the
   * sequential block loop, which keeps them in locals between refills.
   */
  buffer = 0;
  count = 0;
  /** Zero bits fed after the data ran out: consuming any of them means the data is truncated. */
  private padding = 0;
  private atMarker = false;

  constructor(
    readonly bytes: Uint8Array,
    /** Offset of the next byte to load. */
    public position: number,
  ) {}

  /** Loads bytes until at least 25 bits are buffered. */
  fill(): void {
    const bytes = this.bytes;
    let { buffer, count, position } = this;
    while (count <= 24) {
      let byte = 0;
      if (!this.atMarker && position < bytes.length) {
        byte = bytes[position]!;
        if (byte !== 0xff) position++;
        else {
          const next = position + 1 < bytes.length ? bytes[position + 1]! : 0xd9;
          if (next === 0) position += 2;
          else if (next === 0xff) {
            position++; // a fill byte before a marker
            continue;
          } else this.atMarker = true;
        }
      } else this.atMarker = true;
      if (this.atMarker) {
        byte = 0;
        this.padding += 8;
      }
      buffer |= byte << (24 - count);
      count += 8;
    }
    this.buffer = buffer;
    this.count = count;
    this.position = position;
  }

  /** Decodes one Huffman-coded symbol. */
  decode(table: HuffmanTable): number {
    if (this.count < 16) this.fill();
    const entry = table.lookup[this.buffer >>> (32 - LOOKUP_BITS)]!;
    if (entry !== 0) {
      const length = entry >> 8;
      this.buffer <<= length;
      this.count -= length;
      return entry & 255;
    }
    for (let length = LOOKUP_BITS + 1; length <= 16; length++) {
      const code = this.buffer >>> (32 - length);
      if (code <= table.maxCode[length]!) {
        this.buffer <<= length;
        this.count -= length;
        return table.symbols[table.valueOffset[length]! + code]!;
      }
    }
    throw corrupt(`an invalid Huffman code before byte ${this.position}`);
  }

  /** Reads `n` (1..16) bits as an unsigned number. */
  bits(n: number): number {
    if (this.count < n) this.fill();
    const value = this.buffer >>> (32 - n);
    this.buffer <<= n;
    this.count -= n;
    return value;
  }

  /** Reads `n` (1..16) bits as a coefficient magnitude category value (T.81 F.2.2.1 EXTEND). */
  signed(n: number): number {
    if (this.count < n) this.fill();
    const value = this.buffer >>> (32 - n);
    this.buffer <<= n;
    this.count -= n;
    return value < 1 << (n - 1) ? value - (1 << n) + 1 : value;
  }

  /** Drops `n` (0..16) bits: a magnitude the caller does not need. */
  skip(n: number): void {
    if (this.count < n) this.fill();
    this.buffer <<= n;
    this.count -= n;
  }

  /**
   * Ends a stretch of entropy-coded data (a scan or a restart interval): checks that it did not run
   * past its bytes, drops the byte-alignment bits and returns the offset of the next marker.
   */
  finish(): number {
    if (this.padding > this.count)
      throw corrupt(`the image data ends early, at byte ${this.position}`);
    this.buffer = 0;
    this.count = 0;
    this.padding = 0;
    this.atMarker = false;
    this.position = findMarker(this.bytes, this.position);
    return this.position;
  }
}

/**
 * Offset of the next marker at or after `from` (0xFF followed by anything but 0x00 and 0xFF; with
 * `skipRestarts`, not RSTn either), or the end of the bytes: how a scan nobody needs is skipped unread.
 */
export function findMarker(bytes: Uint8Array, from: number, skipRestarts = false): number {
  for (
    let at = bytes.indexOf(0xff, from);
    at >= 0 && at + 1 < bytes.length;
    at = bytes.indexOf(0xff, at + 1)
  ) {
    const next = bytes[at + 1]!;
    if (next === 0 || next === 0xff || (skipRestarts && next >= 0xd0 && next <= 0xd7)) continue;
    return at;
  }
  return bytes.length;
}
