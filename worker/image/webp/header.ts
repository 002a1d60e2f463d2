/**
 * Reads a WebP file's container (RIFF, RFC 9649) without decoding pixels: which of the three layouts
 * it uses (simple lossy "VP8 ", simple lossless "VP8L", extended "VP8X"), the image size from the
 * bitstream header, and an EXIF orientation. The walk over the chunks is bounded by MAX_CHUNKS and by
 * the RIFF size, which must fit in the bytes received.
 */
import {
  badRequest,
  contentTooLarge,
  unsupportedMediaType,
  type Problem,
} from '../../http/problem.ts';
import { readTiffOrientation } from '../orientation.ts';

/** What a WebP header says about the image. */
export interface WebpHeader {
  type: 'image/webp';
  /** Stored size in pixels (the canvas, which for a still image is the size of its one frame). */
  width: number;
  height: number;
  /** EXIF orientation 1..8 from an EXIF chunk (extended layout only); 1 when there is none. */
  orientation: number;
  /** VP8 (lossy) or VP8L (lossless) bitstream. */
  compression: 'lossy' | 'lossless';
  /** Whether the image carries alpha: an ALPH chunk beside VP8, or the VP8L alpha hint. */
  alpha: boolean;
  /** Where the VP8 or VP8L chunk's payload lies in the file. */
  bitstream: { offset: number; length: number };
}

/** The largest width or height WebP can encode (RFC 9649: 14-bit VP8 and VP8L dimensions; libwebp's limit). */
const WEBP_MAX_DIMENSION = 16383;

/** Chunks read before giving up: a still image needs at most six (VP8X, ICCP, ALPH, VP8, EXIF, XMP). */
const MAX_CHUNKS = 64;

/** "RIFF", size, "WEBP", then at least one chunk header. */
const RIFF_HEADER_BYTES = 12;
const CHUNK_HEADER_BYTES = 8;

/** VP8X flag bits (RFC 9649, 2.7). */
const VP8X_ANIMATION = 0x02;
const VP8X_ALPHA = 0x10;

/** The 400 for a WebP file that breaks the format, from the container or its VP8 bitstream. */
export const corrupt = (why: string): Problem =>
  badRequest(`the WebP image is truncated or corrupt: ${why}`);
const ascii = (bytes: Uint8Array, at: number): string =>
  String.fromCharCode(...bytes.subarray(at, at + 4));

/** One RIFF chunk: its four-character code and payload. */
interface Chunk {
  fourcc: string;
  data: Uint8Array;
}

/**
 * Splits the RIFF payload into chunks, at most MAX_CHUNKS of them.
 * @throws Problem 400 when a chunk runs past the end of the RIFF data, or there are too many.
 */
function chunks(bytes: Uint8Array, end: number): Chunk[] {
  const list: Chunk[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = RIFF_HEADER_BYTES; at < end;) {
    if (list.length === MAX_CHUNKS) throw corrupt(`it has more than ${MAX_CHUNKS} chunks`);
    if (at + CHUNK_HEADER_BYTES > end) throw corrupt(`a chunk header at byte ${at} is cut off`);
    const fourcc = ascii(bytes, at);
    const size = view.getUint32(at + 4, true);
    const start = at + CHUNK_HEADER_BYTES;
    if (size > end - start)
      throw corrupt(`the ${fourcc.trim()} chunk declares ${size} bytes, but ${end - start} remain`);
    list.push({ fourcc, data: bytes.subarray(start, start + size) });
    at = start + size + (size & 1); // chunks are padded to an even length
  }
  return list;
}

/** Width and height of a VP8 key frame (RFC 6386, 9.1: a 3-byte frame tag, start code, 14-bit sizes). */
function vp8Size(data: Uint8Array): [number, number] {
  if (data.length < 10) throw corrupt('the VP8 frame header is cut off');
  const tag = data[0]! | (data[1]! << 8) | (data[2]! << 16);
  if ((tag & 1) !== 0) throw corrupt('the VP8 bitstream does not start with a key frame');
  if (((tag >> 1) & 7) > 3) throw corrupt(`unknown VP8 version ${(tag >> 1) & 7}`);
  if (tag >> 5 > data.length - 10) throw corrupt('the first VP8 partition runs past the chunk');
  if (data[3] !== 0x9d || data[4] !== 0x01 || data[5] !== 0x2a)
    throw corrupt('the VP8 start code is missing');
  return [(data[6]! | (data[7]! << 8)) & 0x3fff, (data[8]! | (data[9]! << 8)) & 0x3fff];
}

/** Width, height and alpha hint of a VP8L bitstream (RFC 9649, 3.2: signature 0x2f, 14+14+1+3 bits). */
function vp8lSize(data: Uint8Array): [number, number, boolean] {
  if (data.length < 5) throw corrupt('the VP8L header is cut off');
  if (data[0] !== 0x2f) throw corrupt('the VP8L signature is missing');
  const bits = new DataView(data.buffer, data.byteOffset + 1, 4).getUint32(0, true);
  if (bits >>> 29 !== 0) throw corrupt(`unknown VP8L version ${bits >>> 29}`);
  return [(bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1, ((bits >>> 28) & 1) === 1];
}

/** Size of the image bitstream chunk, checked against WebP's limits. */
function bitstreamSize(
  chunk: Chunk,
  file: Uint8Array,
): Pick<WebpHeader, 'width' | 'height' | 'compression' | 'alpha' | 'bitstream'> {
  const lossless = chunk.fourcc === 'VP8L';
  const [width, height, alpha]: [number, number, boolean] = lossless
    ? vp8lSize(chunk.data)
    : [...vp8Size(chunk.data), false];
  if (width === 0 || height === 0 || width > WEBP_MAX_DIMENSION || height > WEBP_MAX_DIMENSION) {
    throw corrupt(`the bitstream declares an invalid size ${width}x${height}`);
  }
  const bitstream = { offset: chunk.data.byteOffset - file.byteOffset, length: chunk.data.length };
  return { width, height, compression: lossless ? 'lossless' : 'lossy', alpha, bitstream };
}

const animated = (): Problem =>
  unsupportedMediaType(
    'animated WebP images are not supported: send one frame as a still WebP, PNG or JPEG image',
  );

/** The extended layout: VP8X flags and canvas, then the one image bitstream, ALPH and EXIF among the other chunks. */
function extended(list: Chunk[], file: Uint8Array): WebpHeader {
  const vp8x = list[0]!.data;
  if (vp8x.length < 10) throw corrupt('the VP8X chunk is cut off');
  const flags = vp8x[0]!;
  if (flags & VP8X_ANIMATION) throw animated();
  const canvasWidth = (vp8x[4]! | (vp8x[5]! << 8) | (vp8x[6]! << 16)) + 1;
  const canvasHeight = (vp8x[7]! | (vp8x[8]! << 8) | (vp8x[9]! << 16)) + 1;
  let orientation = 1;
  let image: Chunk | undefined;
  let alphaChunk = false;
  for (const chunk of list.slice(1)) {
    if (chunk.fourcc === 'ANIM' || chunk.fourcc === 'ANMF') throw animated();
    if (chunk.fourcc === 'ALPH') alphaChunk = true;
    if (chunk.fourcc === 'EXIF') orientation = exifOrientation(chunk.data) ?? orientation;
    if ((chunk.fourcc === 'VP8 ' || chunk.fourcc === 'VP8L') && !image) image = chunk;
  }
  if (!image) throw corrupt('the extended file holds no VP8 or VP8L image chunk');
  const size = bitstreamSize(image, file);
  if (size.width !== canvasWidth || size.height !== canvasHeight) {
    throw corrupt(
      `the canvas is ${canvasWidth}x${canvasHeight}, but the image is ${size.width}x${size.height}`,
    );
  }
  const alpha = (flags & VP8X_ALPHA) !== 0 && (size.compression === 'lossless' || alphaChunk);
  return { type: 'image/webp', ...size, alpha, orientation };
}

/** EXIF chunk payload: bare TIFF data by the specification, though some writers keep JPEG's "Exif\0\0" prefix. */
function exifOrientation(data: Uint8Array): number | undefined {
  const prefixed = data.length >= 6 && ascii(data, 0) === 'Exif' && data[4] === 0 && data[5] === 0;
  return readTiffOrientation(prefixed ? data.subarray(6) : data);
}

/**
 * Most pixels (width x height) this Worker decodes from one WebP: 2048 x 2048. libwebp's wasm memory
 * grows by about 10 bytes per pixel for a lossless image (RGBA output, ARGB work buffer, input copy;
 * measured in workerd: 29 MiB at 2048 x 1536, 39 MiB at this cap), and the RGBA copy handed to
 * JavaScript adds 4 bytes per pixel until collected: with the model's own memory, that stays well
 * inside a Worker's 128 MB. Larger WebP images need the Images binding, or get 413.
 */
export const WEBP_MAX_PIXELS = 2048 * 2048;

/**
 * Largest lossy (VP8) bitstream decoded here. A VP8 decode reads every token, and each non-zero
 * coefficient costs at least its sign bit, so the work grows with the bytes as well as the pixels:
 * a 2048 x 2048 q100 photo of pure noise (3.6 MB) took ~460 ms in Node, a 2048 x 1536 q80 photo with
 * heavy sensor noise (538 KB) 85 ms in workerd, a typical one (172 KB) ~40 ms. This cap keeps the
 * largest accepted lossy file near the 120 ms a 24 MP JPEG may take.
 */
export const WEBP_MAX_LOSSY_BYTES = 768 * 1024;

/**
 * Reads the header of a WebP file.
 * @throws Problem 400 when the file is truncated or corrupt (including a RIFF size larger than the
 *   file, too many chunks, or a size beyond 16383); 415 for an animated WebP; 413 above WEBP_MAX_PIXELS
 *   or WEBP_MAX_LOSSY_BYTES.
 */
export function readWebpHeader(bytes: Uint8Array): WebpHeader {
  const header = readWebpLayout(bytes);
  const pixels = header.width * header.height;
  if (pixels > WEBP_MAX_PIXELS) {
    throw contentTooLarge(
      `the WebP image is ${header.width}x${header.height} = ${pixels} pixels; WebP images are decoded up to ${WEBP_MAX_PIXELS} pixels`,
    );
  }
  if (header.compression === 'lossy' && header.bitstream.length > WEBP_MAX_LOSSY_BYTES) {
    throw contentTooLarge(
      `the WebP image's lossy bitstream is ${header.bitstream.length} bytes; lossy WebP images are decoded up to ${WEBP_MAX_LOSSY_BYTES} bytes`,
    );
  }
  return header;
}

/** The header of a WebP file, of any size. */
function readWebpLayout(bytes: Uint8Array): WebpHeader {
  if (bytes.length < RIFF_HEADER_BYTES + CHUNK_HEADER_BYTES)
    throw corrupt(`it is only ${bytes.length} bytes long`);
  if (ascii(bytes, 0) !== 'RIFF' || ascii(bytes, 8) !== 'WEBP')
    throw corrupt('the RIFF/WEBP signature is missing');
  const riffSize = new DataView(bytes.buffer, bytes.byteOffset, 8).getUint32(4, true);
  // Bytes after the RIFF data are ignored, as libwebp ignores them; fewer bytes than declared is truncation.
  if (riffSize > bytes.length - 8)
    throw corrupt(
      `the RIFF header declares ${riffSize + 8} bytes, but the file has ${bytes.length}`,
    );
  const list = chunks(bytes, riffSize + 8);
  const first = list[0];
  if (first?.fourcc === 'VP8X') return extended(list, bytes);
  if (first?.fourcc === 'VP8 ' || first?.fourcc === 'VP8L')
    return { type: 'image/webp', ...bitstreamSize(first, bytes), orientation: 1 };
  throw corrupt(`the first chunk is ${JSON.stringify(first?.fourcc ?? '')}, not VP8, VP8L or VP8X`);
}
