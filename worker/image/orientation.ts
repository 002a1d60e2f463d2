/**
 * EXIF orientation. Phone cameras store pixels as the sensor saw them and record how to turn them
 * upright in an EXIF tag, which browsers honour when showing the photo. Decoders store pixels as they come, so
 * without this a phone photo of a dress arrives lying on its side and is classified as such.
 */
import type { GrayImage } from './gray.ts';

/** The EXIF Orientation tag in IFD0 (EXIF 2.32, 4.6.4 A). */
const ORIENTATION_TAG = 0x0112;

/**
 * Reads the Orientation tag from the payload of a JPEG APP1 segment (after its length field).
 * Returns 1..8, or undefined when the segment is not EXIF or carries no valid orientation; a broken
 * EXIF block is no reason to refuse an image, so nothing here throws.
 */
export function readExifOrientation(segment: Uint8Array): number | undefined {
  if (segment.length < 6 || String.fromCharCode(...segment.subarray(0, 6)) !== 'Exif\0\0')
    return undefined;
  return readTiffOrientation(segment.subarray(6));
}

/**
 * Reads the Orientation tag from bare EXIF data: a TIFF header and IFD0, as a WebP EXIF chunk holds
 * it (a JPEG APP1 segment puts "Exif\0\0" before it). Returns 1..8 or undefined, never throws.
 */
export function readTiffOrientation(bytes: Uint8Array): number | undefined {
  // Byte order "II" or "MM", 42, offset of IFD0.
  if (bytes.length < 8) return undefined;
  const tiff = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const order = tiff.getUint16(0);
  if (order !== 0x4949 && order !== 0x4d4d) return undefined;
  const little = order === 0x4949;
  const ifd = tiff.getUint32(4, little);
  if (ifd + 2 > tiff.byteLength) return undefined;
  const entries = tiff.getUint16(ifd, little);
  for (let i = 0, at = ifd + 2; i < entries && at + 12 <= tiff.byteLength; i++, at += 12) {
    if (tiff.getUint16(at, little) !== ORIENTATION_TAG) continue;
    const value = tiff.getUint16(at + 8, little); // type SHORT, count 1: the value sits in the entry
    return value >= 1 && value <= 8 ? value : undefined;
  }
  return undefined;
}

/**
 * Where each orientation finds display pixel (0, 0) in the stored image, and how far the source
 * index moves per display step right (dx) and down (dy); W and H are the stored width and height.
 * Orientations 5..8 swap width and height.
 */
function walk(orientation: number, W: number, H: number): [start: number, dx: number, dy: number] {
  const last = (H - 1) * W;
  switch (orientation) {
    case 2:
      return [W - 1, -1, W]; // mirrored
    case 3:
      return [last + W - 1, -1, -W]; // rotated 180
    case 4:
      return [last, 1, -W]; // mirrored vertically
    case 5:
      return [0, W, 1]; // transposed
    case 6:
      return [last, -W, 1]; // to be turned 90 clockwise
    case 7:
      return [last + W - 1, -W, -1]; // transversed
    case 8:
      return [W - 1, W, -1]; // to be turned 90 counter-clockwise
    default:
      return [0, 1, W];
  }
}

/** Returns the image as it should be displayed; orientation 1 (or unknown) returns it as is. */
export function orient(image: GrayImage, orientation: number): GrayImage {
  if (orientation < 2 || orientation > 8) return image;
  const { width: W, height: H, data } = image;
  const [width, height] = orientation >= 5 ? [H, W] : [W, H];
  const [start, dx, dy] = walk(orientation, W, H);
  const out = new Uint8Array(data.length);
  for (let y = 0, o = 0; y < height; y++) {
    for (let x = 0, s = start + y * dy; x < width; x++, s += dx) out[o++] = data[s]!;
  }
  return { width, height, data: out };
}
