/**
 * Identifies an image by its magic bytes and reads its header with that format's reader (jpeg/,
 * png/, webp/): dimensions, orientation and the work decoding will demand, all judged before a
 * single pixel is decoded.
 */
import { badRequest, unsupportedMediaType } from '../http/problem.ts';
import { sniffBindingOnlyType, type BindingOnlyType } from './images-binding.ts';
import { readJpegHeader, type JpegHeader } from './jpeg/header.ts';
import { readPngHeader, type PngHeader } from './png/header.ts';
import { readWebpHeader, type WebpHeader } from './webp/header.ts';

/** What an image's header says, read without decoding it; `type` tells the formats apart. */
export type ImageHeader = PngHeader | JpegHeader | WebpHeader;

/** The image formats this Worker decodes itself, named by their media types. */
export type ImageType = ImageHeader['type'];

/** Each decoded format: its magic bytes (null: any byte) and its header reader. */
const FORMATS: {
  type: ImageType;
  name: string;
  magic: readonly (number | null)[];
  read: (bytes: Uint8Array) => ImageHeader;
}[] = [
  {
    type: 'image/png',
    name: 'a PNG image',
    magic: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
    read: readPngHeader,
  },
  { type: 'image/jpeg', name: 'a JPEG image', magic: [0xff, 0xd8], read: readJpegHeader },
  {
    type: 'image/webp',
    name: 'a WebP image',
    magic: [0x52, 0x49, 0x46, 0x46, null, null, null, null, 0x57, 0x45, 0x42, 0x50],
    read: readWebpHeader,
  },
];

/** Formats only the Images binding decodes, and BMP, which nothing here does: a 415 says what the bytes are. */
const OTHER_NAMES: Record<BindingOnlyType, string> = {
  'image/avif': 'an AVIF image',
  'image/heic': 'a HEIC image',
  'image/gif': 'a GIF image',
  'image/tiff': 'a TIFF image',
};
const BMP_MAGIC = [0x42, 0x4d];

/** Whether `bytes` start with `magic`, comparing only the bytes present (`whole`: all of them must be). */
function startsWith(bytes: Uint8Array, magic: readonly (number | null)[], whole: boolean): boolean {
  if (whole && bytes.length < magic.length) return false;
  return magic.every((b, i) => i >= bytes.length || b === null || bytes[i] === b);
}

/** Names the format of `bytes` for error messages: "a PNG image", "an AVIF image"... or "not an image format accepted here". */
export function describeBytes(bytes: Uint8Array): string {
  const format = FORMATS.find((f) => startsWith(bytes, f.magic, true));
  if (format) return format.name;
  const other = sniffBindingOnlyType(bytes);
  if (other) return OTHER_NAMES[other];
  if (startsWith(bytes, BMP_MAGIC, true)) return 'a BMP image';
  return 'not an image format accepted here';
}

/**
 * Detects PNG, JPEG or WebP by magic bytes and reads the header.
 * @throws Problem 400 when the body is empty or the header is truncated or invalid (a body that stops
 *   inside a signature is a truncated image, not an unknown format), 413 when the file demands more
 *   work than its format's caps allow, 415 when the bytes are another format or a variant no decoder
 *   here handles.
 */
export function sniffImage(bytes: Uint8Array): ImageHeader {
  if (bytes.length === 0) throw badRequest('the image is empty');
  const format = FORMATS.find((f) => startsWith(bytes, f.magic, false));
  if (format) return format.read(bytes);
  throw unsupportedMediaType(
    `expected a PNG, JPEG or WebP image, but the bytes are ${describeBytes(bytes)}`,
  );
}
