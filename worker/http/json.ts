/**
 * JSON request bodies: bounded parsing and the shape checks every protocol makes. Every rejection is
 * a 400 whose detail names the offending place in the document (`instances[3] must be a JSON
 * object`), because a client fixing a 200 000-number batch needs more than "bad request".
 */
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
      if (++depth > MAX_JSON_DEPTH)
        throw badRequest(`JSON body nests deeper than ${MAX_JSON_DEPTH} levels`);
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
