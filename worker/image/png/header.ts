/**
 * Reads a PNG's header and judges the whole chunk list before a byte is inflated: one cheap walk
 * over the chunks (no decompression) that rejects malformed structure with 400 and files that would
 * cost too much to decode with 413. Compressed ancillary chunks (iCCP, zTXt, iTXt) are never
 * inflated: nothing in them changes the luma this service needs, so a bomb in one costs nothing.
 */
import {
  badRequest,
  contentTooLarge,
  unsupportedMediaType,
  type Problem,
} from '../../http/problem.ts';
import { crc32 } from './crc32.ts';
import { imagePasses, inflatedSize } from './passes.ts';

/** Most chunks a PNG may have. libpng writes 8 KB IDAT chunks (512 for a 4 MiB file); one per row still fits. */
export const MAX_PNG_CHUNKS = 16_384;
/** Most bytes of ancillary chunks (metadata: text, ICC profile, EXIF...), which are checked but never used. */
export const MAX_PNG_ANCILLARY_BYTES = 1 << 20;
/**
 * Most decoding work a PNG may demand, counted as inflated bytes + pixels, checked at IHDR. Measured
 * in Node on a shared 2-core machine (bench/png-decode.ts): ~20-25 ns per inflated byte of noisy
 * photo data, ~10 ns per byte of compressible data plus ~7 ns per pixel. So about 120 ms at the
 * slowest rate: a noisy 1280x960 RGB photo (4.9 M) took 82 ms; 2048x1536 RGB (12.6 M) is refused.
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

const tooCostly = (why: string): Problem =>
  contentTooLarge(`the PNG image would cost too much to decode: ${why}`);

const chunkName = (code: number): string =>
  String.fromCharCode(code >>> 24, (code >>> 16) & 0xff, (code >>> 8) & 0xff, code & 0xff);
/** Chunk types are four ASCII letters (PNG 5.3). */
function isChunkType(bytes: Uint8Array, at: number): boolean {
  for (let i = at; i < at + 4; i++)
    if ((bytes[i]! | 0x20) < 0x61 || (bytes[i]! | 0x20) > 0x7a) return false;
  return true;
}

/** Checks the CRC of the chunk at `offset` (ending at `end`) over its type and data. */
function checkCrc(bytes: Uint8Array, view: DataView, offset: number, end: number): void {
  if (crc32(bytes, offset + 4, end - 4) !== view.getUint32(end - 4))
    throw corruptPng(`the ${chunkName(view.getUint32(offset + 4))} chunk fails its CRC check`);
}

/**
 * Reads the IHDR chunk and walks every chunk up to IEND, checking their order, lengths and CRCs
 * (IDAT CRCs are left to the decoder) and the work decoding would take: the pixels and inflated size
 * right at IHDR, the compression ratio once the IDAT chunks are counted.
 * @throws Problem 400 for truncated or malformed files, 415 for an unknown critical chunk, 413 when
 *   the chunk count, the metadata or the inflated size is over its cap.
 */
export function readPngHeader(bytes: Uint8Array): PngHeader {
  if (!SIGNATURE.every((b, i) => bytes[i] === b))
    throw corruptPng('it does not start with the 8-byte PNG signature');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let header: PngHeader | undefined;
  let dataOffset = -1;
  let dataEnded = false;
  let compressedBytes = 0;
  let ancillaryBytes = 0;
  for (let offset = 8, chunks = 1; ; chunks++) {
    if (offset + 8 > bytes.length)
      throw corruptPng(`it ends at byte ${bytes.length}, before the IEND chunk`);
    const length = view.getUint32(offset);
    const code = view.getUint32(offset + 4);
    const end = offset + 12 + length;
    if (!isChunkType(bytes, offset + 4))
      throw corruptPng(`the chunk at byte ${offset} has an invalid type`);
    if (length > 0x7fffffff)
      throw corruptPng(`the ${chunkName(code)} chunk declares a length of ${length} bytes`);
    if (end > bytes.length)
      throw corruptPng(
        `the ${chunkName(code)} chunk is cut off (${length} bytes declared, ${bytes.length - offset - 8} present)`,
      );
    if (chunks > MAX_PNG_CHUNKS) throw tooCostly(`it has more than ${MAX_PNG_CHUNKS} chunks`);
    if ((code === IHDR) !== (chunks === 1))
      throw corruptPng(chunks === 1 ? 'the first chunk is not IHDR' : 'it has a second IHDR chunk');
    // IHDR's CRC is checked before its sizes are trusted; the others' after the checks that need
    // only their type and length, so that an oversized chunk is refused before its bytes are read.
    if (code === IHDR) checkCrc(bytes, view, offset, end);
    if (dataOffset >= 0 && code !== IDAT) dataEnded = true;
    const data = bytes.subarray(offset + 8, end - 4);
    if (code === IHDR) {
      header = readIhdr(data);
    } else if (code === IDAT) {
      if (dataEnded)
        throw corruptPng(`its IDAT chunks are not consecutive (another one at byte ${offset})`);
      if (dataOffset < 0) dataOffset = offset;
      compressedBytes += length;
    } else if (code === PLTE) {
      header!.palette = checkPalette(header!, data, dataOffset >= 0);
    } else if (code === TRNS) {
      header!.transparency = checkTransparency(header!, data, dataOffset >= 0);
    } else if (code === IEND) {
      checkCrc(bytes, view, offset, end);
      break;
    } else if (!(bytes[offset + 4]! & 0x20)) {
      checkCrc(bytes, view, offset, end); // a corrupt type is a 400, not an unknown chunk
      throw unsupportedMediaType(
        `the PNG image has a critical chunk this decoder does not know: ${chunkName(code)}`,
      );
    } else if ((ancillaryBytes += length) > MAX_PNG_ANCILLARY_BYTES) {
      throw tooCostly(`its metadata chunks hold more than ${MAX_PNG_ANCILLARY_BYTES} bytes`);
    }
    // IDAT CRCs are left to the decoder, which reads those bytes anyway.
    if (code !== IHDR && code !== IDAT) checkCrc(bytes, view, offset, end);
    offset = end;
  }
  if (dataOffset < 0) throw corruptPng('it has no IDAT chunk');
  if (header!.colorType === 'palette' && !header!.palette)
    throw corruptPng('its colour type is palette, but it has no PLTE chunk');
  if (header!.colorType !== 'palette') header!.palette = null; // a suggested palette for an RGB image: not needed
  checkRatio(header!, compressedBytes);
  return { ...header!, dataOffset, compressedBytes };
}

function readIhdr(data: Uint8Array): PngHeader {
  if (data.length !== 13) throw corruptPng(`its IHDR chunk has ${data.length} bytes instead of 13`);
  const view = new DataView(data.buffer, data.byteOffset, 13);
  const width = view.getUint32(0);
  const height = view.getUint32(4);
  const [bitDepth, colorCode, compression, filter, interlace] = [
    data[8]!,
    data[9]!,
    data[10]!,
    data[11]!,
    data[12]!,
  ];
  if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff) {
    throw corruptPng(`the header declares an invalid size ${width}x${height}`);
  }
  const color = COLOR_TYPES[colorCode];
  if (!color || !color.depths.includes(bitDepth))
    throw corruptPng(
      `colour type ${colorCode} with bit depth ${bitDepth} is not a valid combination`,
    );
  if (compression !== 0 || filter !== 0 || interlace > 1)
    throw corruptPng('the header names an unknown compression, filter or interlace method');
  const interlaced = interlace === 1;
  const inflatedBytes = inflatedSize(
    imagePasses(width, height, color.channels * bitDepth, interlaced),
  );
  checkWork(width, height, inflatedBytes);
  return {
    type: 'image/png',
    width,
    height,
    orientation: 1,
    bitDepth,
    colorType: color.name,
    channels: color.channels,
    interlaced,
    palette: null,
    transparency: null,
    dataOffset: -1,
    compressedBytes: 0,
    inflatedBytes,
  };
}

function checkPalette(header: PngHeader, data: Uint8Array, afterData: boolean): Uint8Array {
  if (header.palette) throw corruptPng('it has a second PLTE chunk');
  if (afterData) throw corruptPng('its PLTE chunk comes after the image data');
  if (header.colorType === 'gray' || header.colorType === 'gray-alpha')
    throw corruptPng('a grayscale image must not have a PLTE chunk');
  const entries = data.length / 3;
  const most = header.colorType === 'palette' ? Math.min(256, 2 ** header.bitDepth) : 256;
  if (!Number.isInteger(entries) || entries < 1 || entries > most) {
    throw corruptPng(
      `its PLTE chunk has ${data.length} bytes; a palette holds 1 to ${most} entries of 3 bytes`,
    );
  }
  return data;
}

function checkTransparency(
  header: PngHeader,
  data: Uint8Array,
  afterData: boolean,
): Uint8Array | null {
  if (header.transparency) throw corruptPng('it has a second tRNS chunk');
  if (afterData) throw corruptPng('its tRNS chunk comes after the image data');
  if (header.colorType === 'palette') {
    if (!header.palette) throw corruptPng('its tRNS chunk comes before the PLTE chunk');
    if (data.length > header.palette.length / 3)
      throw corruptPng(
        `its tRNS chunk has ${data.length} entries for ${header.palette.length / 3} palette entries`,
      );
    return data;
  }
  const keyBytes = KEY_BYTES[header.colorType];
  if (keyBytes === undefined) return null; // images with an alpha channel: libpng ignores tRNS there too
  if (data.length !== keyBytes)
    throw corruptPng(`its tRNS chunk has ${data.length} bytes instead of ${keyBytes}`);
  return data;
}

/** Decoding work in the units of MAX_PNG_DECODE_WORK. */
const workOf = (width: number, height: number, inflatedBytes: number): number =>
  inflatedBytes + width * height;

/** Refuses an image whose decoding would be too much work, from IHDR alone. */
function checkWork(width: number, height: number, inflatedBytes: number): void {
  const work = workOf(width, height, inflatedBytes);
  if (work > MAX_PNG_DECODE_WORK) {
    throw tooCostly(
      `${width}x${height} pixels whose image data inflates to ${inflatedBytes} bytes make ${work} units of work (bytes + pixels); the limit is ${MAX_PNG_DECODE_WORK}`,
    );
  }
}

/** Refuses image data that would inflate to more than the bytes carrying it justify. */
function checkRatio(header: PngHeader, compressedBytes: number): void {
  const { inflatedBytes } = header;
  const work = workOf(header.width, header.height, inflatedBytes);
  if (work > PNG_RATIO_FREE_WORK && inflatedBytes > MAX_PNG_COMPRESSION_RATIO * compressedBytes) {
    throw tooCostly(
      `its ${compressedBytes} bytes of image data would inflate to ${inflatedBytes}, more than ${MAX_PNG_COMPRESSION_RATIO} times as many,` +
        ` which is accepted only up to ${PNG_RATIO_FREE_WORK} units of work (bytes + pixels; this image makes ${work})`,
    );
  }
}
