/**
 * PNG fixtures for test/image/png.test.ts: a small encoder that controls what real encoders choose
 * for you (filter type per row, Adam7, chunk layout, any colour type and bit depth), chunk surgery
 * for crafted files, and the reference the decoder must match: fast-png's full decode, converted to
 * luma and area-averaged by plain per-pixel code.
 */
import { crc32, deflateSync } from 'node:zlib';
import { decode as fastPngDecode } from 'fast-png';
import type { GrayImage } from '../../worker/image/gray.ts';
import { random } from '../random.ts';

export const SIGNATURE = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
export const COLOR_CODES = { gray: 0, rgb: 2, palette: 3, 'gray-alpha': 4, rgba: 6 } as const;
export type ColorName = keyof typeof COLOR_CODES;
const CHANNELS: Record<ColorName, number> = {
  gray: 1,
  rgb: 3,
  palette: 1,
  'gray-alpha': 2,
  rgba: 4,
};

export function concat(...parts: Uint8Array[]): Uint8Array {
  return concatAll(parts);
}

/** concat for more parts than a call can spread. */
export function concatAll(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) (out.set(p, at), (at += p.length));
  return out;
}

/** One chunk with a correct CRC. */
export function chunk(type: string, data: Uint8Array = new Uint8Array()): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

export function ihdr(
  width: number,
  height: number,
  color: ColorName,
  depth: number,
  interlaced = false,
): Uint8Array {
  const data = new Uint8Array(13);
  const view = new DataView(data.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  data.set([depth, COLOR_CODES[color], 0, 0, interlaced ? 1 : 0], 8);
  return chunk('IHDR', data);
}

export interface RawImage {
  width: number;
  height: number;
  color: ColorName;
  depth: number;
  /** Samples, row-major, CHANNELS per pixel, each 0..2^depth-1 (palette: indices). */
  samples: Uint16Array;
}

/** A smooth picture with noise (so every filter has something to predict) in any format. */
export function rawImage(
  width: number,
  height: number,
  color: ColorName,
  depth: number,
  seed: number,
): RawImage {
  const next = random(seed);
  const channels = CHANNELS[color];
  const max = color === 'palette' ? Math.min(2 ** depth, 200) - 1 : 2 ** depth - 1;
  const samples = new Uint16Array(width * height * channels);
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++, i++) {
        const smooth = (Math.sin((x + 3 * c) / 7) * Math.cos(y / 5) + 1) / 2;
        samples[i] = Math.min(max, Math.round((0.8 * smooth + 0.2 * next()) * max));
      }
    }
  }
  return { width, height, color, depth, samples };
}

const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

/** The filtered, uncompressed image data: row r of the whole stream uses filter type `filterOf(r)`. */
export function filteredData(
  image: RawImage,
  interlaced: boolean,
  filterOf: (row: number) => number = (r) => r % 5,
): Uint8Array {
  const { width, height, depth } = image;
  const channels = CHANNELS[image.color];
  const bits = channels * depth;
  const bpp = Math.max(1, bits >> 3);
  const out: number[] = [];
  let streamRow = 0;
  for (const [x0, y0, dx, dy] of interlaced ? ADAM7 : [[0, 0, 1, 1] as const]) {
    const pw = Math.ceil((width - x0) / dx);
    if (pw <= 0) continue;
    let prior = new Uint8Array(Math.ceil((pw * bits) / 8));
    for (let y = y0; y < height; y += dy) {
      const row = new Uint8Array(prior.length);
      for (let i = 0, bit = 0; i < pw; i++) {
        for (let c = 0; c < channels; c++, bit += depth) {
          const v = image.samples[(y * width + x0 + i * dx) * channels + c]!;
          if (depth === 16) ((row[bit >> 3] = v >> 8), (row[(bit >> 3) + 1] = v & 0xff));
          else row[bit >> 3]! |= v << (8 - depth - (bit & 7));
        }
      }
      const filter = filterOf(streamRow++);
      out.push(filter);
      for (let i = 0; i < row.length; i++) {
        const a = i >= bpp ? row[i - bpp]! : 0;
        const b = prior[i]!;
        const c = i >= bpp ? prior[i - bpp]! : 0;
        const p = a + b - c;
        const predictor =
          [
            0,
            a,
            b,
            (a + b) >> 1,
            Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c)
              ? a
              : Math.abs(p - b) <= Math.abs(p - c)
                ? b
                : c,
          ][filter] ?? 0;
        out.push((row[i]! - predictor) & 0xff);
      }
      prior = row;
    }
  }
  return Uint8Array.from(out);
}

export interface EncodeOptions {
  interlaced?: boolean;
  /** Chunks between IHDR and IDAT (e.g. PLTE, tRNS). */
  before?: Uint8Array[];
  /** Bytes per IDAT chunk (one chunk if omitted). */
  idatSize?: number;
  filterOf?: (row: number) => number;
}

/** Encodes `image` as a PNG. */
export function encode(image: RawImage, options: EncodeOptions = {}): Uint8Array {
  const zlib = deflateSync(filteredData(image, options.interlaced ?? false, options.filterOf));
  const size = options.idatSize ?? zlib.length;
  const idats = Array.from({ length: Math.ceil(zlib.length / size) }, (_, k) =>
    chunk('IDAT', zlib.subarray(k * size, (k + 1) * size)),
  );
  return concatAll([
    SIGNATURE,
    ihdr(image.width, image.height, image.color, image.depth, options.interlaced),
    ...(options.before ?? []),
    ...idats,
    chunk('IEND'),
  ]);
}

/** A palette of `entries` colours. */
export function palette(entries: number, seed: number): Uint8Array {
  const next = random(seed);
  return Uint8Array.from({ length: entries * 3 }, () => Math.floor(next() * 256));
}

/**
 * The reference: fast-png's decode, 8-bit RGBA by the rules of the old pipeline (16-bit rounded,
 * low-depth gray scaled, palette and colour keys applied), luma over white as every decoder writes it,
 * then the mean of each k x k block, rounded.
 */
export function reference(bytes: Uint8Array, k: number): GrayImage {
  const png = fastPngDecode(bytes, { checkCrc: true });
  const { width, height, depth, channels } = png;
  const key = png.transparency;
  const rowBytes = Math.ceil((width * channels * depth) / 8);
  const sample = (x: number, y: number, c: number): number => {
    if (depth >= 8) return png.data[(y * width + x) * channels + c]!;
    const bit = x * depth;
    return (png.data[y * rowBytes + (bit >> 3)]! >> (8 - depth - (bit & 7))) & ((1 << depth) - 1);
  };
  const to8 = (v: number) => (png.palette ? v : Math.round((v * 255) / (2 ** depth - 1)));
  const gray = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const raw = Array.from({ length: channels }, (_, c) => sample(x, y, c));
      let rgba: number[];
      if (png.palette)
        rgba = [...png.palette[raw[0]!]!.slice(0, 3), png.palette[raw[0]!]![3] ?? 255];
      else if (channels <= 2)
        rgba = [
          to8(raw[0]!),
          to8(raw[0]!),
          to8(raw[0]!),
          channels === 2 ? to8(raw[1]!) : key && key[0] === raw[0] ? 0 : 255,
        ];
      else
        rgba = [
          ...raw.slice(0, 3).map(to8),
          channels === 4
            ? to8(raw[3]!)
            : key && raw.every((v, c) => c > 2 || v === key[c])
              ? 0
              : 255,
        ];
      const [r, g, b, a] = rgba as [number, number, number, number];
      const luma = (19595 * r + 38470 * g + 7471 * b + 32768) >> 16;
      gray[y * width + x] = a === 255 ? luma : 255 - ((((255 - luma) * a + 127) / 255) | 0);
    }
  }
  const w = Math.ceil(width / k);
  const h = Math.ceil(height / k);
  const data = new Uint8Array(w * h);
  for (let by = 0; by < h; by++) {
    for (let bx = 0; bx < w; bx++) {
      let sum = 0;
      let n = 0;
      for (let y = by * k; y < Math.min(height, (by + 1) * k); y++) {
        for (let x = bx * k; x < Math.min(width, (bx + 1) * k); x++, n++)
          sum += gray[y * width + x]!;
      }
      data[by * w + bx] = Math.round(sum / n);
    }
  }
  return { width: w, height: h, data };
}
