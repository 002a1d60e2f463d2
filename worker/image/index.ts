/**
 * Image input pipeline: PNG or JPEG bytes in, the 28x28 Fashion-MNIST-style pixels the model expects out.
 * Order matters for safety: the pixel limit is enforced from the header before anything is decoded.
 */
import { Problem } from '../http/problem.ts';
import { onceUntilSuccess } from '../runtime/once.ts';
import { fashionize } from './fashionize.ts';
import { orient } from './orientation.ts';
import { describeBytes, sniffImage, type ImageType } from './sniff.ts';
import { toGray } from './to-gray.ts';

let decoders: typeof import('./decode.ts') | undefined;

/**
 * Loads the PNG and JPEG decoders (decode.ts with fast-png, fflate and jpeg-js) on first use rather
 * than at startup: evaluating those modules, fflate's Huffman tables above all, was most of the
 * Worker's startup CPU. A dynamic import, which the bundle evaluates only when it runs. Must have
 * settled before imageToPixels runs: the routes that take images await it first.
 */
export const loadImageDecoders: () => Promise<void> = onceUntilSuccess(async () => {
  decoders = await import('./decode.ts');
});

/** Limits applied to every image. */
export interface ImageLimits {
  /** Largest accepted width x height, checked against the header before decoding. */
  maxPixels: number;
  /**
   * Set (to 0) to make maxPixels a budget shared by several images, such as the base64 instances of
   * one batch: each image admitted adds its pixels here, so however many images a request carries,
   * it decodes at most maxPixels in total.
   */
  spentPixels?: number;
}

/**
 * Raw pixel values for the model: 784 numbers, 0..255, row-major 28x28, Fashion-MNIST convention
 * (light object on dark background, 0 = background).
 *
 * Images already in that form (28x28, dark background) pass through unchanged; anything else, such as
 * a shop photo on white, is converted the way the data set was made (see fashionize.ts), after
 * turning JPEG photos upright by their EXIF orientation.
 *
 * @param declaredType The request's media type; when omitted (e.g. base64 inside JSON) the type is sniffed.
 * @throws Problem 400 for empty, truncated or corrupt images; 413 when width x height exceeds
 *   what is left of `limits.maxPixels`; 415 when the bytes are not PNG or JPEG, or are not the declared type;
 *   422 when the image shows no garment.
 */
export function imageToPixels(bytes: Uint8Array, limits: ImageLimits, declaredType?: ImageType): Float32Array {
  if (!(limits.maxPixels > 0)) throw new RangeError(`maxPixels must be a positive number, got ${limits.maxPixels}`);
  const header = sniffImage(bytes);
  // Mislabelled bodies are refused rather than silently accepted: the client has a bug worth knowing about.
  if (declaredType && header.type !== declaredType) {
    throw new Problem(415, 'Unsupported Media Type', `The request declares ${declaredType}, but the bytes are ${describeBytes(bytes)}.`);
  }
  const pixels = header.width * header.height;
  const spent = limits.spentPixels ?? 0;
  if (pixels > limits.maxPixels - spent) {
    const shared = spent > 0 ? ` for all images of the request together, and the others took ${spent}` : '';
    throw new Problem(413, 'Content Too Large', `The image is ${header.width}x${header.height} = ${pixels} pixels; the limit is ${limits.maxPixels}${shared}.`);
  }
  if (!decoders) throw new Error('imageToPixels ran before loadImageDecoders() settled');
  if (limits.spentPixels !== undefined) limits.spentPixels = spent + pixels;
  return fashionize(orient({ channels: 1, ...toGray(decoders.decodeImage(bytes, header, limits.maxPixels)) }, header.orientation));
}

export type { ImageType } from './sniff.ts';
