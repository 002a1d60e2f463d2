/**
 * Adler-32 (RFC 1950 8.2), the checksum that ends a zlib stream. fflate's streaming Unzlib skips it,
 * so the decoder runs it over the inflated bytes itself: it catches corrupt image data that still
 * inflates, including a bit flipped in a chunk whose CRC was forged along with it.
 */

/** Bytes summed between reductions modulo 65521: few enough that both sums stay below 2^31 (V8 small integers). */
const RUN = 3800;
const MOD = 65521;

/** A running Adler-32: feed it the inflated stream in pieces, then read `value`. */
export class Adler32 {
  private a = 1;
  private b = 0;

  /** Adds `bytes` to the checksum. */
  update(bytes: Uint8Array): void {
    let { a, b } = this;
    for (let start = 0; start < bytes.length; start += RUN) {
      const end = Math.min(bytes.length, start + RUN);
      for (let i = start; i < end; i++) {
        a += bytes[i]!;
        b += a;
      }
      a %= MOD;
      b %= MOD;
    }
    this.a = a;
    this.b = b;
  }

  /** The checksum of everything fed so far, unsigned. */
  get value(): number {
    return ((this.b << 16) | this.a) >>> 0;
  }
}
