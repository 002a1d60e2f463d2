/**
 * What every inference route shares: finding the model, reading the body under the configured
 * limit, sizing a batch and running it as a single predict call.
 */
import type { Context } from 'hono';
import { PIXELS_PER_IMAGE } from '../../classifier/architecture.ts';
import { limitsOf, type AppEnv } from '../env.ts';
import { readBody } from '../http/body.ts';
import { badRequest, contentTooLarge, notFound } from '../http/problem.ts';
import { measure, measureAsync } from '../http/timing.ts';
import { PixelBudget } from '../image/budget.ts';
import type { ImageOptions } from '../image/index.ts';
import { DEFAULT_MODEL, getModel, modelNames, type ServedModel } from '../inference/models.ts';

/**
 * Most images accepted in one request. 256 x 784 float32 is under 1 MB of activations; larger
 * batches are refused with 413 (the request is too large, not malformed) and should be split.
 */
export const MAX_BATCH = 256;

/** Tensor names of the served signature (TF Serving signature_def, v2 metadata). */
export const INPUT_NAME = 'images';
export const OUTPUT_NAME = 'probabilities';

/** The named model (the default when `name` is undefined), initialised; 404 if there is none. */
export async function requireModel(name: string | undefined): Promise<ServedModel> {
  const model = await getModel(name);
  if (!model) {
    throw notFound(
      `model "${name ?? DEFAULT_MODEL}" does not exist; available: ${modelNames().join(', ')}`,
    );
  }
  return model;
}

/** The request body, read under MAX_BODY_BYTES and timed as `read`. */
export function readRequestBody(c: Context<AppEnv>): Promise<Uint8Array> {
  return measureAsync(c, 'read', readBody(c.req.raw, limitsOf(c.env)));
}

/** A zeroed pixel buffer for `count` images: 400 for an empty batch, 413 above MAX_BATCH. */
export function batchBuffer(count: number, what: string): Float32Array {
  if (count === 0) throw badRequest(`${what} is empty; send at least one image`);
  if (count > MAX_BATCH) {
    throw contentTooLarge(
      `${what} holds ${count} images; the limit is ${MAX_BATCH} per request, split the batch`,
    );
  }
  return new Float32Array(count * PIXELS_PER_IMAGE);
}

/** Class probabilities for every image in `pixels`, from one predict call timed as `infer`. */
export function infer(c: Context, model: ServedModel, pixels: Float32Array): Float32Array {
  return measure(c, 'infer', () => model.predict(pixels, pixels.length / PIXELS_PER_IMAGE));
}

/** How this request's images are decoded: one pixel budget for all of them, and the Images binding if bound. */
export function imageOptionsOf(c: Context<AppEnv>): ImageOptions {
  const limits = limitsOf(c.env);
  return {
    budget: new PixelBudget(limits),
    images: c.env.IMAGES,
    imagesBindingMinPixels: limits.imagesBindingMinPixels,
  };
}
