/**
 * Request bodies: their media type and their bytes, read under a size limit. The limit is enforced
 * while streaming, so an oversized upload is refused after at most `maxBytes` have been buffered,
 * whether or not the client declared its length. What all concurrent uploads of the isolate buffer
 * together is bounded too (ISOLATE_BODY_BUDGET).
 */
import { contentTooLarge, Problem, unsupportedMediaType } from './problem.ts';

/**
 * Bytes of request bodies the isolate buffers at once, across all requests still being read.
 * Uploads share the isolate's 128 MB: 32 concurrent 4 MiB uploads raise workerd's peak memory by
 * ~180 MB. A body is counted only while it is read, as everything after the read (decoding,
 * inference, the response) runs synchronously, one request at a time.
 */
const ISOLATE_BODY_BUDGET = 16 * 1024 * 1024;

/** Bytes buffered right now by the requests of this isolate that are reading their bodies. */
let buffering = 0;

/** Bytes of request bodies the isolate is buffering right now (0 between requests). */
export const bufferedBodyBytes = (): number => buffering;

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
 * The chunks of `body`, counted as they arrive; 413 once more than `maxBytes` have come, and the
 * stream is cancelled so the rest of the upload is never read. A caller that stops early leaves the
 * rest to discardUnreadBody.
 */
async function* chunksUnder(body: ReadableStream, maxBytes: number): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  let total = 0;
  try {
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
  } finally {
    reader.releaseLock();
  }
}

/**
 * Largest declared body read in one piece (`arrayBuffer()`) instead of chunk by chunk: one native
 * read instead of a reader loop and an async generator saves ~0.2 ms of workerd CPU on a 784-byte
 * request, a third of what the classifier cost beyond a no-op Worker. Such a body is counted
 * against the isolate budget at its declared size for the whole read. Larger uploads stream, so
 * that a client declaring megabytes and sending nothing holds no budget: reserving 16 MiB this way
 * takes 256 connections.
 */
const WHOLE_READ_BYTES = 64 * 1024;

/** Counts `bytes` more as buffered; 429 when that overruns the budget with others' bytes in it. */
function reserve(bytes: number, ownTotal: number): void {
  buffering += bytes;
  // Over budget only with others' bytes in it: a lone upload can always reach maxBytes.
  if (buffering > ISOLATE_BODY_BUDGET && buffering > ownTotal) {
    buffering -= bytes;
    throw new Problem(429, 'Too Many Requests', `this instance is already receiving ${ISOLATE_BODY_BUDGET} bytes of uploads; retry shortly`, { 'Retry-After': '1' });
  }
}

/** A body of `declared` bytes (at most WHOLE_READ_BYTES), read in one piece. */
async function readWhole(request: Request, declared: number, maxBytes: number): Promise<Uint8Array> {
  reserve(declared, declared);
  try {
    const body = new Uint8Array(await request.arrayBuffer());
    // HTTP framing holds a received body to its Content-Length; a Request built in code need not.
    if (body.byteLength > maxBytes) tooLarge(maxBytes);
    return body;
  } finally {
    buffering -= declared;
  }
}

/**
 * Reads the whole body, refusing it with 413 as soon as it is known to exceed `maxBytes`: from
 * Content-Length before reading anything, else once the bytes counted off the stream pass the limit.
 */
export async function readBody(request: Request, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(request.headers.get('Content-Length') ?? NaN);
  if (declared > maxBytes) tooLarge(maxBytes);
  if (request.body === null) return new Uint8Array(0);
  if (declared > 0 && declared <= WHOLE_READ_BYTES) return readWhole(request, declared, maxBytes);

  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for await (const chunk of chunksUnder(request.body, maxBytes)) {
      reserve(chunk.byteLength, total + chunk.byteLength);
      chunks.push(chunk);
      total += chunk.byteLength;
    }
  } finally {
    buffering -= total;
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
 * ("other side closed"), or loses the answer itself to a reset. Every early answer (404, 405, 415,
 * 429, a bad query...) would otherwise cost the client a dropped request. A body declared larger
 * than `maxBytes` is left alone, as is one cancelled for being larger: that connection should close.
 */
export async function discardUnreadBody(request: Request, maxBytes: number): Promise<void> {
  const body = request.body;
  if (body === null || body.locked) return;
  if (Number(request.headers.get('Content-Length')) > maxBytes) return;
  try {
    for await (const _discarded of chunksUnder(body, maxBytes));
  } catch {
    // Too large after all, or the client went away: either way the connection closes, as it should.
  }
}
