/**
 * Turns one unfiltered row of PNG samples into 8-bit luma, exactly as worker/image/fashionize.ts
 * would from fast-png's output: 16-bit samples rounded to 8 bits, low-depth gray scaled to 0..255,
 * BT.601 luma in 16-bit fixed point, and alpha (channel, tRNS colour key or palette alpha)
 * composited over white with the same integer rounding, so 28x28 Fashion-MNIST PNGs stay bit-exact.
 */
import { luma, overWhite } from '../gray.ts';
import { corruptPng, type PngHeader } from './header.ts';

/** Writes the luma of the first `count` pixels of `row` (unfiltered, without its filter byte) to `out`. */
export type RowToLuma = (row: Uint8Array, count: number, out: Uint8Array) => void;

/** The converter for `header`'s colour type and bit depth; `maxWidth` sizes its scratch row. */
export function rowToLuma(header: PngHeader, maxWidth: number): RowToLuma {
  const { colorType, bitDepth, channels, transparency } = header;
  if (colorType === 'palette') return paletteRow(header.palette!, transparency, bitDepth);
  if (bitDepth < 8)
    return lowDepthGrayRow(bitDepth, transparency && (transparency[0]! << 8) | transparency[1]!);
  const key = transparency && colorKey(transparency, bitDepth);
  const convert = EIGHT_BIT[colorType];
  if (bitDepth === 8)
    return key
      ? (row, count, out) => (convert(row, count, out), applyKey(row, count, out, key))
      : convert;
  const narrow = new Uint8Array(maxWidth * channels);
  return (row, count, out) => {
    for (let i = 0, n = count * channels; i < n; i++)
      narrow[i] = (((row[2 * i]! << 8) | row[2 * i + 1]!) + 128) / 257; // round(v / 257)
    convert(narrow, count, out);
    if (key) applyKey(row, count, out, key);
  };
}

/** Converters from 8-bit samples, one per colour type with true-colour or gray samples. */
const EIGHT_BIT: Record<Exclude<PngHeader['colorType'], 'palette'>, RowToLuma> = {
  gray: (row, count, out) => out.set(row.subarray(0, count)),
  'gray-alpha': (row, count, out) => {
    for (let x = 0, i = 0; x < count; x++, i += 2) out[x] = overWhite(row[i]!, row[i + 1]!);
  },
  rgb: (row, count, out) => {
    for (let x = 0, i = 0; x < count; x++, i += 3) out[x] = luma(row[i]!, row[i + 1]!, row[i + 2]!);
  },
  rgba: (row, count, out) => {
    for (let x = 0, i = 0; x < count; x++, i += 4)
      out[x] = overWhite(luma(row[i]!, row[i + 1]!, row[i + 2]!), row[i + 3]!);
  },
};

/**
 * The raw bytes a pixel must have to be transparent under a tRNS colour key (2 bytes per sample in
 * the chunk; an 8-bit image uses the low byte), or null when no pixel can match it.
 */
function colorKey(transparency: Uint8Array, bitDepth: number): Uint8Array | null {
  if (bitDepth === 16) return transparency;
  const high = transparency.filter((_, i) => i % 2 === 0);
  return high.some((b) => b !== 0) ? null : transparency.filter((_, i) => i % 2 === 1);
}

/** Makes the pixels whose raw bytes equal `key` white (fully transparent over white). */
function applyKey(row: Uint8Array, count: number, out: Uint8Array, key: Uint8Array): void {
  const size = key.length;
  for (let x = 0, i = 0; x < count; x++, i += size) {
    let k = 0;
    while (k < size && row[i + k] === key[k]) k++;
    if (k === size) out[x] = 255;
  }
}

/** 1, 2 or 4-bit gray, packed big-endian (PNG 7.2), scaled to 0..255; `key` is the tRNS gray level or null. */
function lowDepthGrayRow(depth: number, key: number | null): RowToLuma {
  const mask = (1 << depth) - 1;
  const scale = 255 / mask; // 255, 85 or 17: exact
  return (row, count, out) => {
    for (let x = 0, bit = 0; x < count; x++, bit += depth) {
      const sample = (row[bit >> 3]! >> (8 - depth - (bit & 7))) & mask;
      out[x] = sample === key ? 255 : sample * scale;
    }
  };
}

/** Palette indices (1 to 8 bits) through a table of each entry's luma over white; an index past the palette is a 400. */
function paletteRow(palette: Uint8Array, alphas: Uint8Array | null, depth: number): RowToLuma {
  const entries = palette.length / 3;
  const table = new Uint8Array(entries);
  for (let e = 0; e < entries; e++)
    table[e] = overWhite(
      luma(palette[3 * e]!, palette[3 * e + 1]!, palette[3 * e + 2]!),
      alphas?.[e] ?? 255,
    );
  const mask = (1 << depth) - 1;
  return (row, count, out) => {
    for (let x = 0, bit = 0; x < count; x++, bit += depth) {
      const index = depth === 8 ? row[x]! : (row[bit >> 3]! >> (8 - depth - (bit & 7))) & mask;
      if (index >= entries)
        throw corruptPng(
          `a pixel uses palette index ${index}, but the palette has ${entries} entries`,
        );
      out[x] = table[index]!;
    }
  };
}
