/**
 * The JPEG header walk: the marker segments up to the frame header (SOFn, JPEG T.81 B.1.1), read
 * without touching the entropy-coded data, so that every size and variant check comes first.
 */
import { contentTooLarge, unsupportedMediaType } from '../../http/problem.ts';
import { readExifOrientation } from '../orientation.ts';
import { corrupt, MAX_JPEG_PIXELS, MAX_SEGMENTS } from './limits.ts';

/** One image component as the frame header declares it (T.81 B.2.2). */
export interface JpegComponent {
  /** Component identifier, which scan headers refer to. */
  id: number;
  /** Horizontal and vertical sampling factors, 1..4. */
  h: number;
  v: number;
  /** Which of the four quantisation tables (0..3) its coefficients use. */
  quantTable: number;
}

/** What a JPEG's header says, read without decoding any pixels. */
export interface JpegHeader {
  type: 'image/jpeg';
  width: number;
  height: number;
  /** EXIF orientation 1..8 (see orientation.ts); 1 when the pixels are stored upright or no tag is present. */
  orientation: number;
  /** SOF2 (progressive) rather than SOF0/SOF1 (sequential). */
  progressive: boolean;
  /** 1 (gray) or 3 (YCbCr) components, in frame order; the first is the luma. */
  components: JpegComponent[];
}

/** SOFn markers decoded here: baseline, extended sequential and progressive Huffman DCT. */
const SUPPORTED_SOF = new Set([0xc0, 0xc1, 0xc2]);
/** The other SOFn markers (lossless, hierarchical, arithmetic coding); 0xc4, 0xc8, 0xcc are DHT, JPG, DAC. */
const UNSUPPORTED_SOF = new Set([0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);
const APP0 = 0xe0;
const APP1 = 0xe1;
const APP14 = 0xee;

/** Returns whether `bytes` holds `text` (ASCII) at `at`. */
function hasText(bytes: Uint8Array, at: number, text: string): boolean {
  for (let i = 0; i < text.length; i++) if (bytes[at + i] !== text.charCodeAt(i)) return false;
  return true;
}

/**
 * Walks the marker segments up to the first SOFn, noting the EXIF orientation and the colour
 * transform (JFIF, Adobe APP14) on the way.
 * @throws Problem 400 when the header is truncated or invalid (a height of 0, deferred to a DNL
 *   marker, included), 413 when width x height is over MAX_JPEG_PIXELS, 415 for lossless,
 *   hierarchical, arithmetic-coded or 12-bit JPEG and for RGB or CMYK/YCCK colour.
 */
export function readJpegHeader(bytes: Uint8Array): JpegHeader {
  if (bytes[0] !== 0xff || bytes[1] !== 0xd8) throw corrupt('it does not start with an SOI marker');
  let offset = 2;
  let orientation = 1;
  let jfif = false;
  let adobeTransform = -1;
  for (let segments = 0; ; segments++) {
    if (segments > MAX_SEGMENTS)
      throw corrupt(`more than ${MAX_SEGMENTS} marker segments before the frame header`);
    if (offset + 4 > bytes.length) throw corrupt('it ends before the frame header');
    if (bytes[offset] !== 0xff) throw corrupt(`expected a marker at byte ${offset}`);
    const marker = bytes[offset + 1]!;
    // 0xFF fill bytes may precede any marker; TEM and RSTn stand alone without a length.
    if (marker === 0xff) {
      offset += 1;
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      offset += 2;
      continue;
    }
    if (marker === 0xd8 || marker === 0xd9 || marker === 0xda)
      throw corrupt('no frame header (SOFn) before the image data');
    const length = (bytes[offset + 2]! << 8) | bytes[offset + 3]!;
    if (length < 2) throw corrupt(`invalid segment length at byte ${offset}`);
    const payload = offset + 4;
    const end = offset + 2 + length;
    if (UNSUPPORTED_SOF.has(marker)) {
      throw unsupportedMediaType(
        'only baseline and progressive Huffman-coded JPEG images are supported (this one is lossless, hierarchical or arithmetic-coded)',
      );
    }
    if (SUPPORTED_SOF.has(marker)) {
      const frame = readFrame(bytes.subarray(payload, Math.min(end, bytes.length)), length - 2);
      checkColour(frame.components, jfif, adobeTransform);
      return { type: 'image/jpeg', ...frame, orientation, progressive: marker === 0xc2 };
    }
    if (marker === APP1)
      orientation = readExifOrientation(bytes.subarray(payload, end)) ?? orientation;
    if (marker === APP0 && hasText(bytes, payload, 'JFIF\0')) jfif = true;
    if (marker === APP14 && length >= 14 && hasText(bytes, payload, 'Adobe'))
      adobeTransform = bytes[payload + 11] ?? -1;
    offset = end;
  }
}

/** Parses the frame header's payload (T.81 B.2.2): precision, size and the components. */
function readFrame(
  sof: Uint8Array,
  length: number,
): Pick<JpegHeader, 'width' | 'height' | 'components'> {
  if (length < 6 || sof.length < 6) throw corrupt('it ends inside the frame header');
  const precision = sof[0]!;
  const height = (sof[1]! << 8) | sof[2]!;
  const width = (sof[3]! << 8) | sof[4]!;
  const count = sof[5]!;
  if (precision !== 8 || (count !== 1 && count !== 3 && count !== 4)) {
    throw unsupportedMediaType(
      `only 8-bit JPEG images with 1 or 3 components are supported (this one has ${precision}-bit samples and ${count} components)`,
    );
  }
  if (length !== 6 + 3 * count || sof.length < length)
    throw corrupt(
      `the frame header is ${length} bytes long, not ${6 + 3 * count} for ${count} components`,
    );
  // Height 0 means "defined later by a DNL marker": the size would not be known before decoding.
  if (width === 0 || height === 0)
    throw corrupt(`the frame header declares an invalid size ${width}x${height}`);
  if (width * height > MAX_JPEG_PIXELS) {
    throw contentTooLarge(
      `the JPEG image is ${width}x${height} = ${width * height} pixels; the limit is ${MAX_JPEG_PIXELS}`,
    );
  }
  const components: JpegComponent[] = [];
  for (let i = 0, at = 6; i < count; i++, at += 3) {
    const id = sof[at]!;
    const h = sof[at + 1]! >> 4;
    const v = sof[at + 1]! & 15;
    const quantTable = sof[at + 2]!;
    if (h < 1 || h > 4 || v < 1 || v > 4)
      throw corrupt(`component ${id} has sampling factors ${h}x${v} (1..4 allowed)`);
    if (quantTable > 3)
      throw corrupt(`component ${id} names quantisation table ${quantTable} (0..3 allowed)`);
    if (components.some((c) => c.id === id))
      throw corrupt(`component identifier ${id} appears twice`);
    components.push({ id, h, v, quantTable });
  }
  return { width, height, components };
}

/**
 * Refuses the colour models other than gray and YCbCr: their luma needs every component decoded
 * in full and converted, and only print workflows make them, never phone cameras.
 * RGB is signalled by Adobe APP14 transform 0, or, without JFIF or Adobe, by component ids "R", "G", "B".
 */
function checkColour(components: JpegComponent[], jfif: boolean, adobeTransform: number): void {
  if (components.length === 4) {
    throw unsupportedMediaType(
      'CMYK and YCCK JPEG images (4 components) are not supported; save the image as RGB (YCbCr) JPEG or PNG',
    );
  }
  const rgbIds = components.map((c) => String.fromCharCode(c.id)).join('') === 'RGB';
  if (
    components.length === 3 &&
    (adobeTransform === 0 || (!jfif && adobeTransform < 0 && rgbIds))
  ) {
    throw unsupportedMediaType(
      'JPEG images stored as RGB rather than YCbCr (Adobe transform 0) are not supported; save the image as a standard JPEG or PNG',
    );
  }
}
