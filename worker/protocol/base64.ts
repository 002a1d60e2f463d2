/**
 * Base64 image bytes inside JSON: TF Serving's `{"b64": ...}` and v2 BYTES elements sent as JSON.
 */
import { describe } from '../http/json.ts';
import { badRequest } from '../http/problem.ts';

/** The bytes `value` encodes, standard or URL-safe alphabet; 400 naming `path` if it is not base64 text. */
export function decodeBase64(value: unknown, path: string): Uint8Array {
  if (typeof value !== 'string')
    throw badRequest(`${path} must be a base64 string, got ${describe(value)}`);
  let binary: string;
  try {
    // TF Serving clients send standard base64; accept the URL-safe alphabet too.
    binary = atob(value.replace(/-/g, '+').replace(/_/g, '/'));
  } catch {
    throw badRequest(`${path} is not valid base64`);
  }
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}
