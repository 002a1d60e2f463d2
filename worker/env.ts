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
  /** Most image pixels (width x height) decoded for one request (default 512 x 512). */
  MAX_IMAGE_PIXELS?: string;
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
}

/** 12 MiB: a phone photo as the camera wrote it; the isolate's budget for bodies is sized to it. */
export const DEFAULT_MAX_BODY_BYTES = 12 * 1024 * 1024;
/**
 * 5 s without a byte: far longer than any live connection pauses mid-upload, short enough that
 * silent connections cannot pile up holding requests open.
 */
export const DEFAULT_BODY_STALL_MS = 5000;
/**
 * 512 x 512: 18 times the 28 x 28 the model sees, and the most an isolate's 128 MB (shared by
 * concurrent requests and the wasm heap) can afford. Decoding costs far more memory than the file:
 * measured in workerd, a 512 x 512 16-bit RGBA PNG raises peak memory by ~31 MB, a 1024 x 1024 one
 * by ~77 MB and a 25 kB 4096 x 4096 gray PNG by ~133 MB. Clients scale photos down before sending
 * them, as the demo page does (to 256 pixels a side).
 */
export const DEFAULT_MAX_IMAGE_PIXELS = 512 * 512;

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
    maxImagePixels: positiveInteger('MAX_IMAGE_PIXELS', env.MAX_IMAGE_PIXELS, DEFAULT_MAX_IMAGE_PIXELS),
  };
}

/**
 * The CORS allow-list: "*" when unset or when the list contains "*", otherwise the listed origins.
 * An empty value allows no cross-origin caller at all.
 */
export function allowedOriginsOf(env: Env): '*' | string[] {
  if (env.ALLOWED_ORIGINS === undefined) return '*';
  const origins = env.ALLOWED_ORIGINS.split(',').map((origin) => origin.trim()).filter(Boolean);
  return origins.includes('*') ? '*' : origins;
}
