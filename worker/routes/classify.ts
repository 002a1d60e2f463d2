/**
 * POST /v1/classify: one image in whichever encoding is handiest for the caller (a PNG, JPEG or WebP
 * photo of any size up to 24 MP, 784 raw bytes, or JSON pixels), answered with the top-k labels.
 */
import { Hono, type Context } from 'hono';
import { IMAGE_SIZE, PIXELS_PER_IMAGE } from '../../classifier/architecture.ts';
import type { AppEnv } from '../env.ts';
import { requireMediaType } from '../http/body.ts';
import { parseJson, requireObject } from '../http/json.ts';
import { badRequest } from '../http/problem.ts';
import { measure, measureAsync } from '../http/timing.ts';
import { encodeGrayPng } from '../image/encode-png.ts';
import {
  IMAGE_MEDIA_TYPES,
  imageToPixels,
  loadImageDecoders,
  type ImageMediaType,
} from '../image/index.ts';
import { copyImage } from '../image/json-pixels.ts';
import {
  applyPixelScale,
  parsePixelScale,
  PIXEL_SCALE_PARAMETER,
  type PixelScale,
} from '../protocol/pixel-scale.ts';
import { topPredictions } from '../protocol/top-classes.ts';
import { imageOptionsOf, infer, readRequestBody, requireModel } from './inference-route.ts';

/** Request media types, in the order the OpenAPI document and 415 details list them. */
export const CLASSIFY_MEDIA_TYPES = [
  ...IMAGE_MEDIA_TYPES,
  'application/octet-stream',
  'application/json',
] as const;
type ClassifyMediaType = (typeof CLASSIFY_MEDIA_TYPES)[number];

/** Bounds of the `top` query parameter. */
export const DEFAULT_TOP = 3;
export const MAX_TOP = 10;

/** The `top` query parameter, 1..MAX_TOP (`fallback` when absent); 400 for anything else. */
export function parseTop(value: string | undefined, fallback = DEFAULT_TOP): number {
  if (value === undefined) return fallback;
  const top = /^[0-9]{1,2}$/.test(value) ? Number(value) : NaN;
  if (!(top >= 1 && top <= MAX_TOP)) {
    throw badRequest(
      `query parameter top must be an integer from 1 to ${MAX_TOP}, got ${JSON.stringify(value)}`,
    );
  }
  return top;
}

/** Values of the `include` query parameter: extra fields the answer may carry. */
export const CLASSIFY_INCLUDES = ['input'] as const;
type ClassifyInclude = (typeof CLASSIFY_INCLUDES)[number];

/** `include=input` or a comma-separated list of CLASSIFY_INCLUDES; 400 for anything else. */
function parseInclude(value: string | undefined): Set<ClassifyInclude> {
  const wanted = new Set<ClassifyInclude>();
  if (value === undefined) return wanted;
  for (const name of value.split(',')) {
    if (!(CLASSIFY_INCLUDES as readonly string[]).includes(name)) {
      throw badRequest(
        `query parameter include must be a comma-separated list of ${CLASSIFY_INCLUDES.join(', ')}, got ${JSON.stringify(value)}`,
      );
    }
    wanted.add(name as ClassifyInclude);
  }
  return wanted;
}

/**
 * The 28x28 pixels the model classified as a PNG data URL, as the model sees them (0 = background,
 * black; JSON pixels with fractions are rounded), so a client can show what the model saw.
 */
function inputDataUrl(pixels: Float32Array): string {
  const png = encodeGrayPng(IMAGE_SIZE, IMAGE_SIZE, Uint8Array.from(pixels, Math.round));
  let binary = '';
  for (const byte of png) binary += String.fromCharCode(byte);
  return `data:image/png;base64,${btoa(binary)}`;
}

function decodeRaw(
  type: Exclude<ClassifyMediaType, ImageMediaType>,
  body: Uint8Array,
  scale: PixelScale,
): Float32Array {
  switch (type) {
    case 'application/octet-stream':
      if (body.length !== PIXELS_PER_IMAGE) {
        throw badRequest(
          `an application/octet-stream body must be exactly ${PIXELS_PER_IMAGE} bytes (28x28 grayscale, row-major, 0 = background), got ${body.length}`,
        );
      }
      return Float32Array.from(body);
    case 'application/json': {
      const pixels = new Float32Array(PIXELS_PER_IMAGE);
      copyImage(requireObject(parseJson(body), 'body').pixels, 'pixels', pixels, 0);
      applyPixelScale(pixels, 0, scale, 'pixels');
      return pixels;
    }
  }
}

const isImageType = (type: ClassifyMediaType): type is ImageMediaType =>
  (IMAGE_MEDIA_TYPES as readonly string[]).includes(type);

/** An image body's pixels, timed as `decode`; raw and JSON pixels need no decoder, so only images load them. */
async function decodeImageBody(
  c: Context<AppEnv>,
  type: ImageMediaType,
  body: Uint8Array,
): Promise<Float32Array> {
  await loadImageDecoders();
  return measureAsync(c, 'decode', imageToPixels(body, imageOptionsOf(c), type));
}

/** Routes of the classify endpoint. */
export const classify = new Hono<AppEnv>().post('/v1/classify', async (c) => {
  const type = requireMediaType(c.req.raw, CLASSIFY_MEDIA_TYPES);
  const top = parseTop(c.req.query('top'));
  const scale = parsePixelScale(c.req.query(PIXEL_SCALE_PARAMETER), 'query parameter');
  const include = parseInclude(c.req.query('include'));
  const model = await requireModel(c.req.query('model'));
  const body = await readRequestBody(c);
  const pixels = isImageType(type)
    ? await decodeImageBody(c, type, body)
    : measure(c, 'decode', () => decodeRaw(type, body, scale));
  const probabilities = infer(c, model, pixels);
  return c.json({
    predictions: topPredictions(probabilities, model.labels, top),
    model: { name: model.name, version: model.version, sha256: model.sha256 },
    ...(include.has('input') ? { input: inputDataUrl(pixels) } : {}),
  });
});
