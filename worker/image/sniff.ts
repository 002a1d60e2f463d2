/**
 * Identifies an image by its magic bytes and reads its dimensions from the header alone (PNG IHDR,
 * JPEG SOFn), so that size limits can be enforced before a single pixel is decoded.
 */
import { Problem } from '../http/problem.ts';
import { readJpegHeader } from './jpeg/header.ts';

/** The image formats this service decodes, named by their media types. */
export type ImageType = 'image/png' | 'image/jpeg';

/** What an image header says about the pixels, read without decoding them. */
export interface ImageHeader {
  type: ImageType;
  width: number;
  height: number;
  /** Bits per sample: PNG 1, 2, 4, 8 or 16 (palette: bits per index); JPEG sample precision (8). */
  bitDepth: number;
  /** PNG colour type, or for JPEG the colour model implied by the component count (3 = YCbCr, shown as 'rgb'). */
  colorType: 'gray' | 'gray-alpha' | 'rgb' | 'rgba' | 'palette' | 'cmyk';
  /** PNG only: Adam7 interlacing, which changes the size of the compressed image data. */
  interlaced: boolean;
  /** JPEG only: EXIF orientation 1..8 (see orientation.ts); 1 means the pixels are stored upright. */
  orientation: number;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Start Of Image marker; every JPEG begins with it, followed by another marker's 0xFF. */
const JPEG_SOI = [0xff, 0xd8];
/** Signature (8) + IHDR length and type (8) + IHDR data (13) + CRC (4). */
const PNG_HEADER_BYTES = 33;

/** PNG colour type -> name and the bit depths the specification allows for it (PNG 11.2.2, table 11.1). */
const PNG_COLOR_TYPES: Record<number, { name: ImageHeader['colorType']; depths: number[] }> = {
  0: { name: 'gray', depths: [1, 2, 4, 8, 16] },
  2: { name: 'rgb', depths: [8, 16] },
  3: { name: 'palette', depths: [1, 2, 4, 8] },
  4: { name: 'gray-alpha', depths: [8, 16] },
  6: { name: 'rgba', depths: [8, 16] },
};

/** Formats people commonly send instead, so a 415 can say what the bytes actually are. */
const OTHER_FORMATS: { name: string; magic: (number | null)[] }[] = [
  { name: 'a GIF image', magic: [0x47, 0x49, 0x46, 0x38] },
  { name: 'a WebP image', magic: [0x52, 0x49, 0x46, 0x46, null, null, null, null, 0x57, 0x45, 0x42, 0x50] },
  { name: 'a BMP image', magic: [0x42, 0x4d] },
  { name: 'a TIFF image', magic: [0x49, 0x49, 0x2a, 0x00] },
  { name: 'a TIFF image', magic: [0x4d, 0x4d, 0x00, 0x2a] },
];

function startsWith(bytes: Uint8Array, magic: readonly (number | null)[]): boolean {
  return bytes.length >= magic.length && magic.every((b, i) => b === null || bytes[i] === b);
}

/** Names the format of `bytes` for error messages: "a PNG image", "a GIF image", or "neither PNG nor JPEG". */
export function describeBytes(bytes: Uint8Array): string {
  if (startsWith(bytes, PNG_SIGNATURE)) return 'a PNG image';
  if (startsWith(bytes, [...JPEG_SOI, 0xff])) return 'a JPEG image';
  return OTHER_FORMATS.find((f) => startsWith(bytes, f.magic))?.name ?? 'neither PNG nor JPEG';
}

/**
 * Detects PNG or JPEG by magic bytes and reads the header.
 * @throws Problem 400 when the body is empty or the header is truncated or invalid,
 *   415 when the bytes are not PNG or JPEG, or use a JPEG coding process the decoder cannot handle.
 */
export function sniffImage(bytes: Uint8Array): ImageHeader {
  if (bytes.length === 0) throw new Problem(400, 'Bad Request', 'The image is empty.');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Compare only the bytes present: a body that stops inside a signature is a truncated image, not an unknown format.
  if (bytes.subarray(0, PNG_SIGNATURE.length).every((b, i) => b === PNG_SIGNATURE[i])) return readPngHeader(bytes, view);
  if (bytes.subarray(0, 2).every((b, i) => b === JPEG_SOI[i])) return sniffJpeg(bytes);
  throw new Problem(415, 'Unsupported Media Type', `Expected a PNG or JPEG image, but the bytes are ${describeBytes(bytes)}.`);
}

function corrupt(type: string, why: string): Problem {
  return new Problem(400, 'Bad Request', `The ${type} image is truncated or corrupt: ${why}.`);
}

function readPngHeader(bytes: Uint8Array, view: DataView): ImageHeader {
  if (bytes.length < PNG_HEADER_BYTES) throw corrupt('PNG', 'it ends inside the header');
  // IHDR must be the first chunk and is always 13 bytes long (PNG 5.6, 11.2.2).
  const type = String.fromCharCode(...bytes.subarray(12, 16));
  if (view.getUint32(8) !== 13 || type !== 'IHDR') throw corrupt('PNG', 'the first chunk is not a valid IHDR');
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  const bitDepth = view.getUint8(24);
  const colorType = PNG_COLOR_TYPES[view.getUint8(25)];
  const interlace = view.getUint8(28);
  if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff) {
    throw corrupt('PNG', `the header declares an invalid size ${width}x${height}`);
  }
  if (!colorType || !colorType.depths.includes(bitDepth)) {
    throw corrupt('PNG', `colour type ${view.getUint8(25)} with bit depth ${bitDepth} is not a valid combination`);
  }
  if (view.getUint8(26) !== 0 || view.getUint8(27) !== 0 || interlace > 1) {
    throw corrupt('PNG', 'the header names an unknown compression, filter or interlace method');
  }
  return { type: 'image/png', width, height, bitDepth, colorType: colorType.name, interlaced: interlace === 1, orientation: 1 };
}

/** The JPEG header (jpeg/header.ts) in this module's terms. */
function sniffJpeg(bytes: Uint8Array): ImageHeader {
  const { width, height, orientation, components } = readJpegHeader(bytes);
  return { type: 'image/jpeg', width, height, bitDepth: 8, colorType: components.length === 1 ? 'gray' : 'rgb', interlaced: false, orientation };
}
