/**
 * Request bodies: their media type and their bytes, read under a size limit. The limit is enforced
 * while streaming, so an oversized upload is refused after at most `maxBytes` have been buffered,
 * whether or not the client declared its length.
 */
import { contentTooLarge, unsupportedMediaType } from './problem.ts';

/**
 * The request's media type, lower-cased and without parameters
 * (`Application/JSON; charset=utf-8` -> `application/json`), or undefined when there is none.
 */
export function mediaTypeOf(request: Request): string | undefined {
  const header = request.headers.get('Content-Type');
  const type = header?.split(';', 1)[0]?.trim().toLowerCase();
  return type || undefined;
}

/** The request's media type if it is one of `accepted`; 415 naming the accepted types otherwise. */
export function requireMediaType<T extends string>(request: Request, accepted: readonly T[]): T {
  const type = mediaTypeOf(request);
  if (type !== undefined && (accepted as readonly string[]).includes(type)) return type as T;
  const got = type === undefined ? 'no Content-Type' : `Content-Type ${type}`;
  throw unsupportedMediaType(`${got} is not supported here; send ${accepted.join(', ')}`);
}

function tooLarge(maxBytes: number): never {
  throw contentTooLarge(`request body exceeds the limit of ${maxBytes} bytes`);
}

/**
 * Reads the whole body, refusing it with 413 as soon as it is known to exceed `maxBytes`: from
 * Content-Length before reading anything, else once the bytes counted off the stream pass the limit
 * (the stream is then cancelled, so the rest of the upload is never read).
 */
export async function readBody(request: Request, maxBytes: number): Promise<Uint8Array> {
  const declared = request.headers.get('Content-Length');
  if (declared !== null && Number(declared) > maxBytes) tooLarge(maxBytes);
  if (request.body === null) return new Uint8Array(0);

  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const chunk = value as Uint8Array;
    total += chunk.byteLength;
    if (total > maxBytes) {
      // Cancelling tells the runtime to stop receiving; waiting on it would only delay the 413.
      reader.cancel().catch(() => {});
      tooLarge(maxBytes);
    }
    chunks.push(chunk);
  }
  if (chunks.length === 1) return chunks[0]!;
  const body = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}
