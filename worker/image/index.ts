/**
 * Image input pipeline: PNG, JPEG or WebP bytes in (and AVIF, HEIC, GIF or TIFF through Cloudflare
 * Images when it is bound), the 28x28 Fashion-MNIST-style pixels the model expects out. Every cost is
 * judged from the header before anything is decoded: the format's own caps as its header is read,
 * then the request's pixel budgets.
 */
import { Problem, unsupportedMediaType } from '../http/problem.ts';
import { onceUntilSuccess } from '../runtime/once.ts';
import type { PixelBudget } from './budget.ts';
import { fashionize } from './fashionize.ts';
import { DECODE_LONG_SIDE } from './gray.ts';
import {
  bindingOnlyName,
  imagesBindingRequired,
  sniffBindingOnlyType,
  throughImagesBinding,
  type ImagesBinding,
} from './images-binding.ts';
import { orient } from './orientation.ts';
import { decoderDivisor } from './scale.ts';
import { describeBytes, sniffImage, type ImageHeader } from './sniff.ts';

/** Media types of the images accepted: decoded here, or (AVIF, HEIC, GIF, TIFF) through the Images binding. */
export const IMAGE_MEDIA_TYPES = [
  'image/png',
  'image/jpeg',
  'image/webp',
  'image/avif',
  'image/heic',
  'image/gif',
  'image/tiff',
] as const;

/** One of IMAGE_MEDIA_TYPES. */
export type ImageMediaType = (typeof IMAGE_MEDIA_TYPES)[number];

let decoders: typeof import('./decode.ts') | undefined;

/**
 * Loads the decoders (decode.ts: ours for JPEG, PNG (with fflate) and lossy WebP, libwebp's glue) on
 * first use rather than at startup, where evaluating them would cost every isolate CPU time. Must
 * have settled before imageToPixels runs: the routes that take images await it first.
 */
export const loadImageDecoders: () => Promise<void> = onceUntilSuccess(async () => {
  decoders = await import('./decode.ts');
});

/** How a request's images are decoded: its pixel budget, and Cloudflare Images when bound. */
export interface ImageOptions {
  budget: PixelBudget;
  /** The Images binding, if the Worker has one. */
  images?: ImagesBinding;
  /** With the binding: photos of more pixels than this are decoded through it rather than here. */
  imagesBindingMinPixels: number;
}

/** 415 when the request declared one media type and the bytes are another: the client has a bug worth knowing about. */
function checkDeclared(declaredType: string | undefined, actual: string, bytes: Uint8Array): void {
  if (declaredType && declaredType !== actual) {
    throw unsupportedMediaType(
      `the request declares ${declaredType}, but the bytes are ${describeBytes(bytes)}`,
    );
  }
}

/** Decodes an admitted image here, upright, and converts it the way the data set was made. */
function decodeHere(bytes: Uint8Array, header: ImageHeader, budget: PixelBudget): Float32Array {
  budget.admit(header);
  if (!decoders) throw new Error('imageToPixels ran before loadImageDecoders() settled');
  const image = orient(decoders.decodeImage(bytes, header), header.orientation);
  const divisor = decoderDivisor(header.type, header.width, header.height);
  // Orientations 5-8 transpose the picture.
  const [width, height] =
    header.orientation >= 5 ? [header.height, header.width] : [header.width, header.height];
  return fashionize(image, { width, height, divisor });
}

/**
 * Has Cloudflare Images decode and scale the image to a small PNG, which is then decoded here;
 * `header`, when this Worker could read it, gives the binding the size.
 */
async function decodeThroughBinding(
  images: ImagesBinding,
  bytes: Uint8Array,
  budget: PixelBudget,
  header?: ImageHeader,
): Promise<Float32Array> {
  const png = await throughImagesBinding(images, bytes, DECODE_LONG_SIDE, header);
  return decodeHere(png, sniffImage(png), budget);
}

/**
 * Raw pixel values for the model: 784 numbers, 0..255, row-major 28x28, Fashion-MNIST convention
 * (light object on dark background, 0 = background). Fashion-MNIST images themselves (28x28, dark
 * background) pass through unchanged; a photo is turned upright by its EXIF orientation and
 * converted the way the data set was made (see fashionize.ts).
 *
 * @param declaredType The request's media type; when omitted (e.g. base64 inside JSON) the type is sniffed.
 * @throws Problem 400 for empty, truncated or corrupt images; 413 over a decoder's caps or the
 *   request's pixel budget; 415 for other formats, or bytes that are not the declared type; 422 for
 *   a photo with no garment in it.
 */
export async function imageToPixels(
  bytes: Uint8Array,
  options: ImageOptions,
  declaredType?: string,
): Promise<Float32Array> {
  const { budget, images } = options;
  const onlyThroughBinding = sniffBindingOnlyType(bytes);
  if (onlyThroughBinding) {
    checkDeclared(declaredType, onlyThroughBinding, bytes);
    if (!images) throw imagesBindingRequired(bindingOnlyName(onlyThroughBinding));
    return decodeThroughBinding(images, bytes, budget);
  }
  let header: ImageHeader;
  try {
    header = sniffImage(bytes);
  } catch (error) {
    // Over one of this Worker's decoders' caps (a large PNG or WebP): Cloudflare Images can do that work.
    if (images && error instanceof Problem && error.status === 413)
      return decodeThroughBinding(images, bytes, budget);
    throw error;
  }
  checkDeclared(declaredType, header.type, bytes);
  // A large photo costs the binding nothing of the Worker's CPU time. Not an EXIF-rotated one: whether
  // the binding applies EXIF orientation differs between Cloudflare and its local stand-in.
  if (
    images &&
    header.orientation === 1 &&
    header.width * header.height > options.imagesBindingMinPixels
  ) {
    return decodeThroughBinding(images, bytes, budget, header);
  }
  return decodeHere(bytes, header, budget);
}
