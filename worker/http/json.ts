/**
 * JSON request bodies: bounded parsing and pixel validation. Every rejection is a 400 whose detail
 * names the offending place in the document (`instances[3][27][5] is 300, outside 0..255`), because
 * a client fixing a 200 000-number batch needs more than "bad request".
 */
import { IMAGE_SIZE, PIXELS_PER_IMAGE } from '../../asset/architecture.ts';
import { badRequest } from './problem.ts';

/**
 * Deepest nesting any accepted document needs (a v2 input with [N,28,28] data is 6 levels deep)
 * plus headroom. The body size is already bounded by readBody; depth is bounded here so that a
 * 12 MiB `[[[[...` cannot exhaust the stack of whatever walks the parsed value.
 */
export const MAX_JSON_DEPTH = 8;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** Rejects nesting deeper than MAX_JSON_DEPTH with one linear scan, before anything recurses. */
function checkDepth(text: string): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') {
      inString = true;
    } else if (ch === '[' || ch === '{') {
      if (++depth > MAX_JSON_DEPTH) throw badRequest(`JSON body nests deeper than ${MAX_JSON_DEPTH} levels`);
    } else if (ch === ']' || ch === '}') {
      depth--;
    }
  }
}

/** Parses a JSON body; 400 if it is not UTF-8, too deeply nested or not JSON. */
export function parseJson(bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw badRequest('JSON body is not valid UTF-8');
  }
  checkDepth(text);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw badRequest(`body is not valid JSON: ${(error as Error).message}`);
  }
}

/** True for a JSON object (not an array, not null). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A short description of a JSON value for error details, never echoing a large value whole. */
export function describe(value: unknown): string {
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (isObject(value)) return 'an object';
  if (value === undefined) return 'missing';
  const text = JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/** The JSON object at `path`, or 400. */
export function requireObject(value: unknown, path: string): Record<string, unknown> {
  if (!isObject(value)) throw badRequest(`${path} must be a JSON object, got ${describe(value)}`);
  return value;
}

/** Reads one tensor element from a parsed JSON value, validating it; `path` names it in errors. */
export type ElementReader = (value: unknown, path: string) => number;

/** A pixel on the 0..255 scale: any finite number in range; 400 naming `path` otherwise. */
export const pixelValue: ElementReader = (value, path) => {
  if (typeof value !== 'number') throw badRequest(`${path} is ${describe(value)}, not a number`);
  // JSON has no NaN or Infinity literals, but 1e999 parses to Infinity.
  if (!Number.isFinite(value)) throw badRequest(`${path} is not a finite number`);
  if (value < 0 || value > 255) throw badRequest(`${path} is ${value}, outside the pixel range 0..255`);
  return value;
};

/**
 * Copies a nested array of exactly `shape` (row-major) into `out` from `offset`, each element read
 * and validated by `element` (default: a pixel 0..255). Returns the offset after it.
 */
export function copyTensor(
  value: unknown,
  shape: readonly number[],
  path: string,
  out: Float32Array,
  offset: number,
  element: ElementReader = pixelValue,
  dim = 0,
): number {
  if (dim === shape.length) {
    out[offset] = element(value, path);
    return offset + 1;
  }
  const length = shape[dim]!;
  if (!Array.isArray(value) || value.length !== length) {
    throw badRequest(`${path} must be an array of ${length}, got ${describe(value)}`);
  }
  let next = offset;
  for (let i = 0; i < length; i++) next = copyTensor(value[i], shape, `${path}[${i}]`, out, next, element, dim + 1);
  return next;
}

/**
 * Copies one image given as 784 numbers or as 28 rows of 28 numbers (0..255, Fashion-MNIST
 * convention) into `out` at `offset`.
 */
export function copyImage(value: unknown, path: string, out: Float32Array, offset: number): void {
  const nested = Array.isArray(value) && Array.isArray(value[0]);
  const expected = nested ? IMAGE_SIZE : PIXELS_PER_IMAGE;
  if (!Array.isArray(value) || value.length !== expected) {
    throw badRequest(`${path} must be ${PIXELS_PER_IMAGE} numbers or ${IMAGE_SIZE} rows of ${IMAGE_SIZE} numbers, got ${describe(value)}`);
  }
  copyTensor(value, nested ? [IMAGE_SIZE, IMAGE_SIZE] : [PIXELS_PER_IMAGE], path, out, offset);
}
