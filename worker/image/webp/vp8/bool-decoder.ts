/**
 * VP8's boolean entropy decoder (RFC 6386, 7): each call decodes one binary decision whose
 * probability of being 0 is `probability` / 256.
 */

/**
 * A decoder over one partition. It reads the partition's bytes three at a time into a window of up
 * to 31 bits, so most decisions cost no load. Past the partition's end it reads zero bytes and sets
 * `overrun`: the decoder checks that flag after each macroblock, as libwebp does, and calls such a
 * file truncated.
 */
export class BoolDecoder {
  // The state is public so that the token loop (residuals.ts) can decide in local variables and
  // write it back; every other reader goes through bit().
  /** The arithmetic decoder's interval width, 128..255 between decisions. */
  range = 255;
  /** Undecoded bits: compared with `range << bits`, so `bits` counts the window's bits below the top 8. */
  value = 0;
  /** Below 0: the window needs a load() before the next decision. */
  bits = -8;
  private position: number;
  /** Whether a decision has needed bytes beyond the partition. */
  overrun = false;

  constructor(
    private readonly data: Uint8Array,
    start: number,
    private readonly end: number,
  ) {
    this.position = start;
  }

  /** One decision: 0 with probability `probability` / 256 (1..255). */
  bit(probability: number): number {
    if (this.bits < 0) this.load();
    const split = 1 + (((this.range - 1) * probability) >> 8);
    const bigSplit = split << this.bits;
    let bit: number;
    if (this.value >= bigSplit) {
      this.range -= split;
      this.value -= bigSplit;
      bit = 1;
    } else {
      this.range = split;
      bit = 0;
    }
    if (this.range < 128) {
      // Renormalise: the shifts that bring the range back to 128..255 consume that many window bits.
      const shift = Math.clz32(this.range) - 24;
      this.range <<= shift;
      this.bits -= shift;
    }
    return bit;
  }

  /** An unsigned `count`-bit literal, most significant bit first, each bit at probability 1/2. */
  literal(count: number): number {
    let value = 0;
    for (let i = 0; i < count; i++) value = (value << 1) | this.bit(128);
    return value;
  }

  /** A flag, then if set a `count`-bit magnitude and its sign (the header's optional deltas); 0 when absent. */
  optionalSigned(count: number): number {
    if (!this.bit(128)) return 0;
    const magnitude = this.literal(count);
    return this.bit(128) ? -magnitude : magnitude;
  }

  /** Refills the window: `bits` is below 0, so `value` holds fewer than 8 bits and shifting by 24 cannot overflow. */
  load(): void {
    const { data, end } = this;
    if (this.position + 3 <= end) {
      const at = this.position;
      this.value = (this.value << 24) | (data[at]! << 16) | (data[at + 1]! << 8) | data[at + 2]!;
      this.position = at + 3;
      this.bits += 24;
      return;
    }
    // The last bytes one at a time, then zeros: a byte is read only when a decision needs it.
    while (this.bits < 0) {
      if (this.position < end) this.value = (this.value << 8) | data[this.position++]!;
      else {
        this.value <<= 8;
        this.overrun = true;
      }
      this.bits += 8;
    }
  }
}
