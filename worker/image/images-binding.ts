/**
 * Images this Worker does not decode itself (AVIF, HEIC, GIF, TIFF), images over its own decoders'
 * caps, and large photos go through Cloudflare Images when wrangler.toml binds it
 * (`[images] binding = "IMAGES"`): it decodes them and scales them down to the pipeline's resolution
 * as a PNG, which the Worker's own PNG decoder then reads. Without the binding, the formats only it
 * decodes get a 415 that names the option.
 */
import { badRequest, Problem, unsupportedMediaType } from '../http/problem.ts';

/**
 * The part of the Images binding (ImagesBinding in @cloudflare/workers-types) used here, declared
 * structurally: Worker code is also typechecked with Node's and the DOM's types, which have no
 * Workers globals, and the runtime's binding satisfies it.
 */
export interface ImagesBinding {
  info(
    stream: ReadableStream<Uint8Array>,
  ): Promise<{ format: string } | { format: string; width: number; height: number }>;
  input(stream: ReadableStream<Uint8Array>): ImageTransformer;
}

/** A pending transformation (ImageTransformer in @cloudflare/workers-types), as far as it is used here. */
interface ImageTransformer {
  transform(transform: { width?: number; height?: number; fit?: 'scale-down' }): ImageTransformer;
  output(options: {
    format: 'image/png';
    anim?: boolean;
  }): Promise<{ image(): ReadableStream<Uint8Array> }>;
}

/** Formats only the Images binding decodes here. */
export type BindingOnlyType = 'image/avif' | 'image/heic' | 'image/gif' | 'image/tiff';

const NAMES: Record<BindingOnlyType, string> = {
  'image/avif': 'AVIF',
  'image/heic': 'HEIC',
  'image/gif': 'GIF',
  'image/tiff': 'TIFF',
};

/** ISOBMFF brands (ISO/IEC 23008-12 and the AV1 image format) by the format they announce. */
const AVIF_BRANDS = new Set(['avif', 'avis']);
const HEIC_BRANDS = new Set(['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'mif1', 'msf1']);
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Brands read from an ftyp box: its major brand and up to this many compatible ones. */
const MAX_BRANDS = 16;

const ascii = (bytes: Uint8Array, at: number, length: number): string =>
  String.fromCharCode(...bytes.subarray(at, at + length));

/** AVIF or HEIC from the leading ftyp box's brands (AVIF first: an AVIF also lists the generic mif1). */
function isobmffType(bytes: Uint8Array): BindingOnlyType | undefined {
  if (bytes.length < 16 || ascii(bytes, 4, 4) !== 'ftyp') return undefined;
  const boxSize = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0);
  const end = Math.min(bytes.length, boxSize, 16 + 4 * MAX_BRANDS);
  const brands = [ascii(bytes, 8, 4)];
  for (let at = 16; at + 4 <= end; at += 4) brands.push(ascii(bytes, at, 4));
  if (brands.some((brand) => AVIF_BRANDS.has(brand))) return 'image/avif';
  return brands.some((brand) => HEIC_BRANDS.has(brand)) ? 'image/heic' : undefined;
}

/** Recognises AVIF, HEIC, GIF and TIFF by their magic bytes; undefined for anything else. */
export function sniffBindingOnlyType(bytes: Uint8Array): BindingOnlyType | undefined {
  const head = ascii(bytes, 0, 6);
  if (head === 'GIF87a' || head === 'GIF89a') return 'image/gif';
  if (head.startsWith('II*\0') || head.startsWith('MM\0*')) return 'image/tiff';
  return isobmffType(bytes);
}

/** The 415 for an image only the Images binding could decode, on a Worker deployed without it. */
export function imagesBindingRequired(what: string): Problem {
  return unsupportedMediaType(
    `${what} can only be decoded through Cloudflare Images, which this Worker is deployed without: add [images] binding = "IMAGES" to wrangler.toml`,
  );
}

/** The name of a binding-only type for messages, e.g. "AVIF images". */
export const bindingOnlyName = (type: BindingOnlyType): string => `${NAMES[type]} images`;

function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new Blob([bytes.slice()]).stream();
}

/** What the binding's failure means for the client: it could not read the file, or not this kind. */
function bindingProblem(error: unknown): Problem {
  const message = error instanceof Error ? error.message : String(error);
  // Cloudflare Images error 9520: unsupported input format; anything else is a file it could not read.
  return /9520|unsupported/i.test(message)
    ? unsupportedMediaType(`Cloudflare Images cannot decode this image: ${message}`)
    : badRequest(
        `the image is truncated or corrupt: Cloudflare Images could not read it (${message})`,
      );
}

/**
 * Decodes `bytes` through the Images binding and scales them down so that the long side is
 * `longSide` (an image no longer than that keeps its size), returned as PNG bytes. The first frame of
 * an animation. EXIF orientation: Cloudflare Images applies it; Miniflare's local stand-in does not.
 * `size`, when this Worker's own header reader already knows it, saves the binding's info() round trip.
 * @throws Problem 415 when the binding does not support the format (or the file is SVG), 400 when it
 *   cannot read the file.
 */
export async function throughImagesBinding(
  binding: ImagesBinding,
  bytes: Uint8Array,
  longSide: number,
  size?: ImageSize,
): Promise<Uint8Array> {
  try {
    const scaleTo = size
      ? scaling(size, longSide)
      : await measuredScaling(binding, bytes, longSide);
    let image = binding.input(streamOf(bytes));
    if (scaleTo) image = image.transform({ ...scaleTo, fit: 'scale-down' });
    const result = await image.output({ format: 'image/png', anim: false });
    const png = new Uint8Array(await new Response(result.image()).arrayBuffer());
    // Miniflare's stand-in answers a file sharp cannot read with an empty image rather than an error.
    if (!PNG_SIGNATURE.every((byte, i) => png[i] === byte))
      throw badRequest(
        `the image is truncated or corrupt: Cloudflare Images returned ${png.length} bytes that are not a PNG image`,
      );
    return png;
  } catch (error) {
    if (error instanceof Problem) throw error;
    throw bindingProblem(error);
  }
}

/** Width and height in pixels. */
interface ImageSize {
  width: number;
  height: number;
}

/**
 * The one side to scale to `longSide`, or null when the image is no longer than that. One side only:
 * with both, `fit` would decide, and Miniflare's local stand-in pads to 'contain' whatever it says.
 */
function scaling(size: ImageSize, longSide: number): { width: number } | { height: number } | null {
  if (Math.max(size.width, size.height) <= longSide) return null;
  return size.width >= size.height ? { width: longSide } : { height: longSide };
}

/**
 * scaling() with the size the binding's info() reports. When info() cannot size the image (the local
 * stand-in sizes neither AVIF nor TIFF), the width: the long side is then at least `longSide`, if
 * more than needed for a portrait image.
 */
async function measuredScaling(
  binding: ImagesBinding,
  bytes: Uint8Array,
  longSide: number,
): Promise<{ width: number } | { height: number } | null> {
  let info;
  try {
    info = await binding.info(streamOf(bytes));
  } catch {
    return { width: longSide };
  }
  if (!('width' in info))
    throw unsupportedMediaType('SVG images are not accepted: send a PNG, JPEG or WebP image');
  return scaling(info, longSide);
}
