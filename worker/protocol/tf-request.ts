/**
 * Decoding TF Serving request bodies into pixels: :predict's row (`instances`) and columnar
 * (`inputs`) formats and :classify's `examples`. An image is 784 numbers, 28 rows of 28, or
 * `{"b64": ...}` (an encoded image file); named, it sits under the input's name.
 */
import { PIXELS_PER_IMAGE } from '../../classifier/architecture.ts';
import { describe, isObject, requireObject } from '../http/json.ts';
import { copyImage } from '../image/json-pixels.ts';
import { badRequest, Problem } from '../http/problem.ts';
import { imageToPixels, type ImageOptions } from '../image/index.ts';
import { decodeBase64 } from './base64.ts';
import { applyPixelScale, type PixelScale } from './pixel-scale.ts';

/** The one signature served. */
export const SIGNATURE = 'serving_default';

/** How the batch's images are read: the model's input name and batch limit, decoders and pixel scale. */
export interface TfDecoding {
  inputName: string;
  /** A zeroed pixel buffer for `count` images; throws for an empty or oversized batch. */
  batch(count: number, what: string): Float32Array;
  images: ImageOptions;
  scale: PixelScale;
}

/** How a request lays out its batch. */
export type TfFormat = 'instances' | 'inputs' | 'examples';

/**
 * A named instance (`{"images": ...}`) unwrapped; `{"b64": ...}` is not a name but TF Serving's
 * encoding of a binary value, and arrays are the unnamed form (not allowed for :classify examples).
 */
function unwrapNamedInput(
  value: unknown,
  path: string,
  inputName: string,
  named: boolean,
): [unknown, string] {
  if (!named && (!isObject(value) || 'b64' in value)) return [value, path];
  const names = isObject(value) ? Object.keys(value) : [];
  if (names.length !== 1 || names[0] !== inputName) {
    throw badRequest(
      `${path} ${isObject(value) ? `names inputs ${JSON.stringify(names)}` : `is ${describe(value)}`}; this model has one input, "${inputName}"`,
    );
  }
  return [(value as Record<string, unknown>)[inputName], `${path}.${inputName}`];
}

async function copyInstance(
  value: unknown,
  path: string,
  out: Float32Array,
  offset: number,
  decoding: TfDecoding,
): Promise<void> {
  if (!isObject(value)) {
    copyImage(value, path, out, offset);
    return applyPixelScale(out, offset, decoding.scale, path);
  }
  const where = `${path}.b64`;
  const bytes = decodeBase64(value.b64, where);
  try {
    out.set(await imageToPixels(bytes, decoding.images), offset);
  } catch (error) {
    // In a batch, "the image is truncated" is only useful with which image it was.
    throw error instanceof Problem ? error.at(where) : error;
  }
}

/**
 * The request's batch: `formats` lists the members it may use (exactly one of them must be there).
 * Returns the format used and the pixels of every image.
 */
export async function decodeTfBatch(
  document: unknown,
  formats: readonly TfFormat[],
  decoding: TfDecoding,
): Promise<{ format: TfFormat; pixels: Float32Array }> {
  const body = requireObject(document, 'body');
  if (body.signature_name !== undefined && body.signature_name !== SIGNATURE) {
    throw badRequest(
      `signature_name ${describe(body.signature_name)} does not exist; this model serves "${SIGNATURE}"`,
    );
  }
  const present = formats.filter((format) => format in body);
  if (present.length !== 1)
    throw badRequest(`send exactly one of ${formats.map((f) => `"${f}"`).join(' or ')}`);
  const format = present[0]!;
  const [batch, key] =
    format === 'inputs'
      ? unwrapNamedInput(body.inputs, 'inputs', decoding.inputName, false)
      : [body[format], format];
  if (!Array.isArray(batch))
    throw badRequest(`${key} must be an array of images, got ${describe(batch)}`);
  const pixels = decoding.batch(batch.length, key);
  // `images` holds one pixel budget for all encoded images: a batch of 256 must not cost 256 times one image's decoding.
  for (const [i, entry] of batch.entries()) {
    const [instance, path] =
      format === 'inputs'
        ? [entry, `${key}[${i}]`]
        : unwrapNamedInput(entry, `${key}[${i}]`, decoding.inputName, format === 'examples');
    await copyInstance(instance, path, pixels, i * PIXELS_PER_IMAGE, decoding);
  }
  return { format, pixels };
}
