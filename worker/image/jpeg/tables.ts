/**
 * Quantisation and Huffman tables (DQT, DHT: JPEG T.81 B.2.4, C, F.2.2.3), checked when defined so
 * that decoding can trust them.
 */
import { corrupt } from './limits.ts';

/** Zigzag index -> natural (row-major) index, padded with 63 so that a corrupt run lands inside the block. */
export const ZIGZAG = new Uint8Array([
  0,
  1,
  8,
  16,
  9,
  2,
  3,
  10,
  17,
  24,
  32,
  25,
  18,
  11,
  4,
  5,
  12,
  19,
  26,
  33,
  40,
  48,
  41,
  34,
  27,
  20,
  13,
  6,
  7,
  14,
  21,
  28,
  35,
  42,
  49,
  56,
  57,
  50,
  43,
  36,
  29,
  22,
  15,
  23,
  30,
  37,
  44,
  51,
  58,
  59,
  52,
  45,
  38,
  31,
  39,
  46,
  53,
  60,
  61,
  54,
  47,
  55,
  62,
  63,
  ...new Array<number>(16).fill(63),
]);

/** Bits resolved by one table lookup; longer codes (rare: they are the unlikely symbols) take the slow path. */
export const LOOKUP_BITS = 9;

/** A Huffman table ready for decoding. */
export interface HuffmanTable {
  /** Indexed by the next LOOKUP_BITS bits: (code length << 8) | symbol, or 0 when the code is longer. */
  lookup: Uint16Array;
  /** Per code length 1..16: the largest code of that length (-1 if none), and where its symbols start. */
  maxCode: Int32Array;
  valueOffset: Int32Array;
  symbols: Uint8Array;
  /**
   * Indexed like `lookup`, the whole symbol with its magnitude, when its code and magnitude bits fit
   * in LOOKUP_BITS: (value << 12) | (run << 4) | bits used, value 0 for a symbol of size 0 (a DC
   * difference of 0, an AC end-of-block or run of sixteen zeros); 0 otherwise (T.81 F.2.2.1 EXTEND
   * done ahead). What the sequential decoder reads; progressive scans read `lookup`.
   */
  coefficients: Int32Array;
  /** Runs of whole AC symbols per SKIP_BITS bits, for the coefficients a decode drops (skips.ts). */
  skips?: Int32Array;
}

/**
 * Parses a DQT segment's payload into `tables` (quantisation values in zigzag order).
 * @returns how many tables it defined
 */
export function readQuantTables(data: Uint8Array, tables: (Uint16Array | undefined)[]): number {
  let count = 0;
  for (let at = 0; at < data.length; count++) {
    const precision = data[at]! >> 4;
    const id = data[at]! & 15;
    const size = precision === 0 ? 64 : 128;
    if (precision > 1 || id > 3)
      throw corrupt(`invalid quantisation table ${id} with precision ${precision}`);
    if (at + 1 + size > data.length) throw corrupt('a quantisation table is cut off');
    const table = new Uint16Array(64);
    for (let k = 0; k < 64; k++) {
      const q =
        precision === 0 ? data[at + 1 + k]! : (data[at + 1 + 2 * k]! << 8) | data[at + 2 + 2 * k]!;
      if (q === 0) throw corrupt(`quantisation table ${id} has a zero entry`);
      table[k] = q;
    }
    tables[id] = table;
    at += 1 + size;
  }
  return count;
}

/**
 * Parses a DHT segment's payload into `dc` / `ac` (slot = table id 0..3).
 * Refuses code lengths that overflow the code space and symbols no 8-bit JPEG uses (DC categories
 * above 11, AC magnitudes above 10), so that decoding never shifts by absurd amounts.
 * @returns how many tables it defined
 */
export function readHuffmanTables(
  data: Uint8Array,
  dc: (HuffmanTable | undefined)[],
  ac: (HuffmanTable | undefined)[],
): number {
  let count = 0;
  for (let at = 0; at < data.length; count++) {
    const kind = data[at]! >> 4;
    const id = data[at]! & 15;
    if (kind > 1 || id > 3) throw corrupt(`invalid Huffman table class ${kind} or id ${id}`);
    if (at + 17 > data.length) throw corrupt('a Huffman table is cut off');
    const counts = data.subarray(at + 1, at + 17);
    const total = counts.reduce((sum, n) => sum + n, 0);
    if (total > 256 || at + 17 + total > data.length)
      throw corrupt(`a Huffman table declares ${total} symbols it does not hold`);
    const symbols = data.slice(at + 17, at + 17 + total);
    for (const s of symbols) {
      if (kind === 0 ? s > 11 : (s & 15) > 10)
        throw corrupt(`Huffman table ${id} holds the invalid symbol ${s}`);
    }
    (kind === 0 ? dc : ac)[id] = buildHuffmanTable(counts, symbols);
    at += 17 + total;
  }
  return count;
}

/** Assigns canonical codes (T.81 C.2) and fills the lookup table and the per-length bounds. */
function buildHuffmanTable(counts: Uint8Array, symbols: Uint8Array): HuffmanTable {
  const lookup = new Uint16Array(1 << LOOKUP_BITS);
  const maxCode = new Int32Array(18).fill(-1);
  const valueOffset = new Int32Array(18);
  let code = 0;
  let k = 0;
  for (let length = 1; length <= 16; length++) {
    const n = counts[length - 1]!;
    valueOffset[length] = k - code;
    for (let i = 0; i < n; i++, k++, code++) {
      if (length <= LOOKUP_BITS) {
        const shift = LOOKUP_BITS - length;
        lookup.fill((length << 8) | symbols[k]!, code << shift, (code + 1) << shift);
      }
    }
    // The all-ones code of each length is reserved (T.81 C.2): a table that reaches it is invalid.
    if (code >= 1 << length)
      throw corrupt('a Huffman table has more codes than its code lengths allow');
    if (n > 0) maxCode[length] = code - 1;
    code <<= 1;
  }
  maxCode[17] = 0x7fffffff; // sentinel: the slow path stops here and reports an invalid code
  return { lookup, maxCode, valueOffset, symbols, coefficients: coefficientLookup(lookup) };
}

/** `coefficients` from `lookup`: the codes whose magnitude bits (if any) follow within the window. */
function coefficientLookup(lookup: Uint16Array): Int32Array {
  const coefficients = new Int32Array(1 << LOOKUP_BITS);
  for (let index = 0; index < 1 << LOOKUP_BITS; index++) {
    const entry = lookup[index]!;
    const length = entry >> 8;
    const size = entry & 15;
    if (entry === 0 || length + size > LOOKUP_BITS) continue;
    const bits = (index >> (LOOKUP_BITS - length - size)) & ((1 << size) - 1);
    const value = size === 0 ? 0 : bits < 1 << (size - 1) ? bits - (1 << size) + 1 : bits;
    coefficients[index] = (value << 12) | (entry & 0xf0) | (length + size);
  }
  return coefficients;
}
