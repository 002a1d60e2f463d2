/**
 * Reads a PNG's header and judges the whole chunk list before a byte is inflated: one cheap walk
 * over the chunks (no decompression) that rejects malformed structure with 400 and files that would
 * cost too much to decode with 413. Compressed ancillary chunks (iCCP, zTXt, iTXt) are never
 * inflated: nothing in them changes the luma this service needs, so a bomb in one costs nothing.
 */
import { badRequest, contentTooLarge, unsupportedMediaType, type Problem } from '../../http/problem.ts';
import { crc32 } from './crc32.ts';
import { imagePasses, inflatedSize } from './passes.ts';

/** Most chunks a PNG may have. libpng writes 8 KB IDAT chunks (512 for a 4 MiB file); one per row still fits. */
export const MAX_PNG_CHUNKS = 16_384;
/** Most bytes of ancillary chunks (metadata: text, ICC profile, EXIF...), which are checked but never used. */
export const MAX_PNG_ANCILLARY_BYTES = 1 << 20;
/**
 * Most decoding work a PNG may demand, counted as inflated bytes + pixels (measured in Node on a
 * shared 2-core machine, bench/png-decode.ts: ~25 ns per inflated byte of incompressible data, ~10
 * for compressible data plus ~7 per pixel): about 120 ms at the slowest rate. 1024x1024 RGBA fits
 * (5.2 M); 2048x1536 RGB (12.6 M, ~200 ms) does not.
 */
export const MAX_PNG_DECODE_WORK = 6 << 20;
/**
 * Work up to which any compression ratio is accepted: ~40-50 ms of decoding highly compressible
 * data. Above it the image data may inflate to at most MAX_PNG_COMPRESSION_RATIO times its
 * compressed size, so a tiny file declaring megabytes of flat colour cannot cost more.
 */
export const PNG_RATIO_FREE_WORK = 4 << 20;
/** See PNG_RATIO_FREE_WORK. Photos compress ~2:1, screenshots and product shots on white ~10-50:1. */
export const MAX_PNG_COMPRESSION_RATIO = 128;

/** PNG colour types by name. */
export type PngColorType = 'gray' | 'gray-alpha' | 'rgb' | 'rgba' | 'palette';

/** What a PNG's chunks say about its pixels and where its image data is, read without decoding them. */
export interface PngHeader {
  type: 'image/png';
  width: number;
  height: number;
  /** PNG has no EXIF orientation in the chunks this decoder reads: always 1 (upright). */
  orientation: 1;
  /** Bits per sample, or per palette index. */
  bitDepth: number;
  colorType: PngColorType;
  /** Channels per pixel (a palette index counts as one). */
  channels: number;
  interlaced: boolean;
  /** The PLTE chunk's data (3 bytes per entry) of a palette image, else null. */
  palette: Uint8Array | null;
  /** The tRNS chunk's data for the colour types that use one (gray, RGB, palette), else null. */
  transparency: Uint8Array | null;
  /** Byte offset of the first IDAT chunk; the IDAT chunks that follow it carry the zlib stream. */
  dataOffset: number;
  /** Bytes of zlib stream in the IDAT chunks. */
  compressedBytes: number;
  /** Bytes the zlib stream must inflate to, as the size and format imply. */
  inflatedBytes: number;
}

/** Colour type code -> name, channels and allowed bit depths (PNG 11.2.2, table 11.1). */
const COLOR_TYPES: Record<number, { name: PngColorType; channels: number; depths: number[] }> = {
  0: { name: 'gray', channels: 1, depths: [1, 2, 4, 8, 16] },
  2: { name: 'rgb', channels: 3, depths: [8, 16] },
  3: { name: 'palette', channels: 1, depths: [1, 2, 4, 8] },
  4: { name: 'gray-alpha', channels: 2, depths: [8, 16] },
  6: { name: 'rgba', channels: 4, depths: [8, 16] },
};

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Chunk types as big-endian 32-bit numbers. */
const IHDR = 0x49484452;
const PLTE = 0x504c5445;
const IDAT = 0x49444154;
const IEND = 0x49454e44;
const TRNS = 0x74524e53;
/** tRNS length per colour type: a gray or RGB colour key (palette: up to one alpha per entry). */
const KEY_BYTES: Partial<Record<PngColorType, number>> = { gray: 2, rgb: 6 };

/** 400 for a PNG that breaks the format. */
export function corruptPng(why: string): Problem {
  return badRequest(`the PNG image is truncated or corrupt: ${why}`);
}

const tooCostly = (why: string): Problem => contentTooLarge(`the PNG image would cost too much to decode: ${why}`);

const chunkName = (code: number): string => String.fromCharCode(code >>> 24, (code >>> 16) & 0xff, (code >>> 8) & 0xff, code & 0xff);
const isLetter = (byte: number): boolean => (byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7a;

/**
 * Reads the IHDR chunk and walks every chunk up to IEND, checking their order, lengths and CRCs
 * (IDAT CRCs are left to the decoder, which reads those bytes anyway) and the work decoding would take.
 * @throws Problem 400 for truncated or malformed files, 415 for an unknown critical chunk, 413 when
 *   the chunk count, the metadata or the inflated size is over its cap.
 */
export function readPngHeader(bytes: Uint8Array): PngHeader {
  if (!SIGNATURE.every((b, i) => bytes[i] === b)) throw corruptPng('it does not start with the 8-byte PNG signature');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let header: PngHeader | undefined;
  let dataOffset = -1;
  let dataEnded = false;
  let compressedBytes = 0;
  let ancillaryBytes = 0;
  for (let offset = 8, chunks = 1; ; chunks++) {
    if (offset + 8 > bytes.length) throw corruptPng(`it ends at byte ${bytes.length}, before the IEND chunk`);
    const length = view.getUint32(offset);
    const code = view.getUint32(offset + 4);
    const end = offset + 12 + length;
    if (![4, 5, 6, 7].every((i) => isLetter(bytes[offset + i]!))) throw corruptPng(`the chunk at byte ${offset} has an invalid type`);
    if (length > 0x7fffffff) throw corruptPng(`the ${chunkName(code)} chunk declares a length of ${length} bytes`);
    if (end > bytes.length) throw corruptPng(`the ${chunkName(code)} chunk is cut off (${length} bytes declared, ${bytes.length - offset - 8} present)`);
    if (chunks > MAX_PNG_CHUNKS) throw tooCostly(`it has more than ${MAX_PNG_CHUNKS} chunks`);
    if (code !== IDAT && crc32(bytes, offset + 4, end - 4) !== view.getUint32(end - 4)) {
      throw corruptPng(`the ${chunkName(code)} chunk fails its CRC check`);
    }
    if ((code === IHDR) !== (chunks === 1)) throw corruptPng(chunks === 1 ? 'the first chunk is not IHDR' : 'it has a second IHDR chunk');
    if (dataOffset >= 0 && code !== IDAT) dataEnded = true;
    const data = bytes.subarray(offset + 8, end - 4);
    if (code === IHDR) {
      header = readIhdr(data);
    } else if (code === IDAT) {
      if (dataEnded) throw corruptPng(`its IDAT chunks are not consecutive (another one at byte ${offset})`);
      if (dataOffset < 0) dataOffset = offset;
      compressedBytes += length;
    } else if (code === PLTE) {
      header!.palette = checkPalette(header!, data, dataOffset >= 0);
    } else if (code === TRNS) {
      header!.transparency = checkTransparency(header!, data, dataOffset >= 0);
    } else if (code === IEND) {
      break;
    } else if (!(bytes[offset + 4]! & 0x20)) {
      throw unsupportedMediaType(`the PNG image has a critical chunk this decoder does not know: ${chunkName(code)}`);
    } else if ((ancillaryBytes += length) > MAX_PNG_ANCILLARY_BYTES) {
      throw tooCostly(`its metadata chunks hold more than ${MAX_PNG_ANCILLARY_BYTES} bytes`);
    }
    offset = end;
  }
  if (dataOffset < 0) throw corruptPng('it has no IDAT chunk');
  if (header!.colorType === 'palette' && !header!.palette) throw corruptPng('its colour type is palette, but it has no PLTE chunk');
  if (header!.colorType !== 'palette') header!.palette = null; // a suggested palette for an RGB image: not needed
  checkCost(header!, compressedBytes);
  return { ...header!, dataOffset, compressedBytes };
}

function readIhdr(data: Uint8Array): PngHeader {
  if (data.length !== 13) throw corruptPng(`its IHDR chunk has ${data.length} bytes instead of 13`);
  const view = new DataView(data.buffer, data.byteOffset, 13);
  const width = view.getUint32(0);
  const height = view.getUint32(4);
  const [bitDepth, colorCode, compression, filter, interlace] = data.subarray(8) as unknown as number[];
  if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff) {
    throw corruptPng(`the header declares an invalid size ${width}x${height}`);
  }
  const color = COLOR_TYPES[colorCode!];
  if (!color || !color.depths.includes(bitDepth!)) throw corruptPng(`colour type ${colorCode} with bit depth ${bitDepth} is not a valid combination`);
  if (compression !== 0 || filter !== 0 || interlace! > 1) throw corruptPng('the header names an unknown compression, filter or interlace method');
  const interlaced = interlace === 1;
  const inflatedBytes = inflatedSize(imagePasses(width, height, color.channels * bitDepth!, interlaced));
  return {
    type: 'image/png', width, height, orientation: 1, bitDepth: bitDepth!, colorType: color.name, channels: color.channels,
    interlaced, palette: null, transparency: null, dataOffset: -1, compressedBytes: 0, inflatedBytes,
  };
}

function checkPalette(header: PngHeader, data: Uint8Array, afterData: boolean): Uint8Array {
  if (header.palette) throw corruptPng('it has a second PLTE chunk');
  if (afterData) throw corruptPng('its PLTE chunk comes after the image data');
  if (header.colorType === 'gray' || header.colorType === 'gray-alpha') throw corruptPng('a grayscale image must not have a PLTE chunk');
  const entries = data.length / 3;
  const most = header.colorType === 'palette' ? Math.min(256, 2 ** header.bitDepth) : 256;
  if (!Number.isInteger(entries) || entries < 1 || entries > most) {
    throw corruptPng(`its PLTE chunk has ${data.length} bytes; a palette holds 1 to ${most} entries of 3 bytes`);
  }
  return data;
}

function checkTransparency(header: PngHeader, data: Uint8Array, afterData: boolean): Uint8Array | null {
  if (header.transparency) throw corruptPng('it has a second tRNS chunk');
  if (afterData) throw corruptPng('its tRNS chunk comes after the image data');
  if (header.colorType === 'palette') {
    if (!header.palette) throw corruptPng('its tRNS chunk comes before the PLTE chunk');
    if (data.length > header.palette.length / 3) throw corruptPng(`its tRNS chunk has ${data.length} entries for ${header.palette.length / 3} palette entries`);
    return data;
  }
  const keyBytes = KEY_BYTES[header.colorType];
  if (keyBytes === undefined) return null; // images with an alpha channel: libpng ignores tRNS there too
  if (data.length !== keyBytes) throw corruptPng(`its tRNS chunk has ${data.length} bytes instead of ${keyBytes}`);
  return data;
}

/** Refuses image data whose decoding would be too much work, or too much for the bytes that carry it. */
function checkCost(header: PngHeader, compressedBytes: number): void {
  const { inflatedBytes } = header;
  const work = inflatedBytes + header.width * header.height;
  if (work > MAX_PNG_DECODE_WORK) {
    throw tooCostly(`${header.width}x${header.height} pixels whose image data inflates to ${inflatedBytes} bytes make ${work} units of work (bytes + pixels); the limit is ${MAX_PNG_DECODE_WORK}`);
  }
  if (work > PNG_RATIO_FREE_WORK && inflatedBytes > MAX_PNG_COMPRESSION_RATIO * compressedBytes) {
    throw tooCostly(
      `its ${compressedBytes} bytes of image data would inflate to ${inflatedBytes}, more than ${MAX_PNG_COMPRESSION_RATIO} times as many,` +
        ` which is accepted only up to ${PNG_RATIO_FREE_WORK} units of work (bytes + pixels; this image makes ${work})`,
    );
  }
}
