/**
 * The Worker's bindings and the limits parsed from them. Vars arrive as strings from wrangler.toml
 * [vars] (or the dashboard); anything absent falls back to a default, anything present but
 * malformed is a deployment bug and fails loudly rather than silently serving other limits.
 */

import type { ImagesBinding } from './image/images-binding.ts';

/** Bindings: wrangler.toml [vars] and secrets. */
export interface Env {
  /** Comma-separated origins allowed by CORS, or "*" (the default). */
  ALLOWED_ORIGINS?: string;
  /** Largest accepted request body in bytes (default 12 MiB). */
  MAX_BODY_BYTES?: string;
  /** Milliseconds an upload may go without sending a byte before it gets 408 (default 5000). */
  BODY_STALL_MS?: string;
  /** Most pixels decoded for one request after scaling, all its images together (default 1024 x 1024). */
  MAX_IMAGE_PIXELS?: string;
  /** Most pixels of one request as stored in its image files, all together (default 25,000,000). */
  MAX_SOURCE_PIXELS?: string;
  /** With the Images binding: photos of more pixels than this are decoded through it (default 1,000,000). */
  IMAGES_BINDING_MIN_PIXELS?: string;
  /** Secret (`wrangler secret put API_TOKEN`): when set, POST endpoints require it as a bearer token. */
  API_TOKEN?: string;
  /**
   * Cloudflare Images (wrangler.toml `[images] binding = "IMAGES"`), optional: when bound, formats the
   * Worker cannot decode itself are decoded and scaled down through it (image/images-binding.ts).
   */
  IMAGES?: ImagesBinding;
}

/** Type parameter for every Hono app and route module of this Worker. */
export interface AppEnv {
  Bindings: Env;
}

/** Request limits in effect for one request. */
export interface Limits {
  maxBodyBytes: number;
  bodyStallMs: number;
  maxImagePixels: number;
  maxSourcePixels: number;
  imagesBindingMinPixels: number;
}

/** 12 MiB: a phone photo as the camera wrote it; the isolate's budget for bodies is sized to it. */
export const DEFAULT_MAX_BODY_BYTES = 12 * 1024 * 1024;
/**
 * 5 s without a byte: far longer than any live connection pauses mid-upload, short enough that
 * silent connections cannot pile up holding requests open.
 */
export const DEFAULT_BODY_STALL_MS = 5000;
/**
 * 1024 x 1024 decoded pixels per request. Decoders reduce every image to a long side of 128..~750
 * (worker/image/scale.ts), so one photo of any accepted size fits; the budget bounds what a batch of
 * base64 images may decode in total.
 */
export const DEFAULT_MAX_IMAGE_PIXELS = 1024 * 1024;
/**
 * 25 MP as stored: a 24 MP (6000 x 4000) photo. Entropy decoding reads every stored block whatever
 * the scale, so this bounds a request's decoding CPU (~120 ms for the largest JPEG), however many
 * images it carries.
 */
export const DEFAULT_MAX_SOURCE_PIXELS = 25_000_000;
/**
 * With Cloudflare Images bound, photos above 1 MP go through it: its work does not count against the
 * Worker's CPU time, and the Worker's own JPEG decoding costs ~5 ms per MP here (BENCHMARKS.md), half
 * the free plan's 10 ms per request at 1 MP.
 */
export const DEFAULT_IMAGES_BINDING_MIN_PIXELS = 1_000_000;

function positiveInteger(name: keyof Env, value: string | undefined, fallback: number): number {
  if (value === undefined || value.trim() === '') return fallback;
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed <= 0) {
    throw new Error(`binding ${name} must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return parsed;
}

/** The body, upload and image limits configured for this Worker. */
export function limitsOf(env: Env): Limits {
  return {
    maxBodyBytes: positiveInteger('MAX_BODY_BYTES', env.MAX_BODY_BYTES, DEFAULT_MAX_BODY_BYTES),
    bodyStallMs: positiveInteger('BODY_STALL_MS', env.BODY_STALL_MS, DEFAULT_BODY_STALL_MS),
    maxImagePixels: positiveInteger(
      'MAX_IMAGE_PIXELS',
      env.MAX_IMAGE_PIXELS,
      DEFAULT_MAX_IMAGE_PIXELS,
    ),
    maxSourcePixels: positiveInteger(
      'MAX_SOURCE_PIXELS',
      env.MAX_SOURCE_PIXELS,
      DEFAULT_MAX_SOURCE_PIXELS,
    ),
    imagesBindingMinPixels: positiveInteger(
      'IMAGES_BINDING_MIN_PIXELS',
      env.IMAGES_BINDING_MIN_PIXELS,
      DEFAULT_IMAGES_BINDING_MIN_PIXELS,
    ),
  };
}

/**
 * The CORS allow-list: "*" when unset or when the list contains "*", otherwise the listed origins.
 * An empty value allows no cross-origin caller at all.
 */
export function allowedOriginsOf(env: Env): '*' | string[] {
  if (env.ALLOWED_ORIGINS === undefined) return '*';
  const origins = env.ALLOWED_ORIGINS.split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  return origins.includes('*') ? '*' : origins;
}
