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
 * The chunks of `body`, counted as they arrive: once more than `maxBytes` have come, the stream is
 * cancelled (so the rest of the upload is never read) and 413 is thrown.
 */
async function* chunksUnder(body: ReadableStream, maxBytes: number): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    const chunk = value as Uint8Array;
    total += chunk.byteLength;
    if (total > maxBytes) {
      // Cancelling tells the runtime to stop receiving; waiting on it would only delay the 413.
      reader.cancel().catch(() => {});
      tooLarge(maxBytes);
    }
    yield chunk;
  }
}

/**
 * Reads the whole body, refusing it with 413 as soon as it is known to exceed `maxBytes`: from
 * Content-Length before reading anything, else once the bytes counted off the stream pass the limit.
 */
export async function readBody(request: Request, maxBytes: number): Promise<Uint8Array> {
  const declared = request.headers.get('Content-Length');
  if (declared !== null && Number(declared) > maxBytes) tooLarge(maxBytes);
  if (request.body === null) return new Uint8Array(0);

  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of chunksUnder(request.body, maxBytes)) {
    chunks.push(chunk);
    total += chunk.byteLength;
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

/**
 * Reads and throws away whatever the answer left unread of the request body, up to `maxBytes`.
 * workerd closes a keep-alive connection whose request body was not read to the end, without a
 * `Connection: close` in the response, so the client's next request on that connection fails
 * ("other side closed"). Every early answer (404, 405, 415, a bad query...) would otherwise cost the
 * client a dropped request. A body read already, or larger than `maxBytes`, is left alone: that
 * connection is better closed.
 */
export async function discardUnreadBody(request: Request, maxBytes: number): Promise<void> {
  const body = request.body;
  if (body === null || body.locked || request.bodyUsed) return;
  if (Number(request.headers.get('Content-Length')) > maxBytes) return;
  try {
    for await (const _discarded of chunksUnder(body, maxBytes));
  } catch {
    // Too large after all, or the client went away: either way the connection closes, as it should.
  }
}
