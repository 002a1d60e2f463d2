/**
 * Request bodies: their media type and their bytes, read under a size limit, a stall timeout and the
 * isolate-wide budget (upload-budget.ts). The limit is enforced while streaming, so an oversized
 * upload is refused after at most `maxBodyBytes` have been buffered, whether or not the client
 * declared its length.
 */
import { discardAll, readAll, tooLarge, type BodyLimits } from './body-stream.ts';
import { unsupportedMediaType } from './problem.ts';
import { releaseBody, reserve } from './upload-budget.ts';

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

/** The declared Content-Length, or undefined when there is none (chunked, or a Request built in code). */
function declaredLength(request: Request): number | undefined {
  const length = Number(request.headers.get('Content-Length') ?? NaN);
  return Number.isSafeInteger(length) && length >= 0 ? length : undefined;
}

/**
 * Reads the whole body, refusing it with 413 as soon as it is known to exceed `maxBodyBytes`: from
 * Content-Length before reading anything, else once the bytes counted off the stream pass the limit.
 * 408 when the upload stalls, 400 when it ends short, 429 when the isolate's budget is spent. The
 * bytes stay counted against the budget until releaseBody(request).
 *
 * Every body is read off its stream as it arrives, small ones included: only bytes that have arrived
 * are counted, a stall is told from a trickle, and a body cut short says how far it got. The price,
 * measured in workerd (bench/body-read.ts, median over 6 alternating rounds of each round's
 * difference in workerd CPU per request, against one `arrayBuffer()`): +34 us for a 784-byte body
 * (~425 us in all), +88 us at 64 KiB, +231 us at 1.5 MB, where a default reader's loop (4 KiB
 * chunks) costs +54 us, +172 us and +4,980 us (see body-stream.ts readInto).
 */
export async function readBody(request: Request, limits: BodyLimits): Promise<Uint8Array> {
  const declared = declaredLength(request);
  if (declared !== undefined && declared > limits.maxBodyBytes) tooLarge(limits.maxBodyBytes);
  if (request.body === null || declared === 0) return new Uint8Array(0);

  try {
    return await readAll(request.body, declared, limits, (bytes) => reserve(request, bytes));
  } catch (error) {
    releaseBody(request);
    throw error;
  }
}

/**
 * Reads and throws away whatever the answer left unread of the request body, up to `maxBodyBytes`
 * and under the stall timeout. workerd closes a keep-alive connection whose request body was not
 * read to the end, without a `Connection: close` in the response, so the client's next request on
 * that connection fails ("other side closed"), or loses the answer itself to a reset. Every early
 * answer (404, 405, 415, 429, a bad query...) would otherwise cost the client a dropped request. A
 * body declared larger than `maxBodyBytes` is left alone, as is one cancelled for being larger or
 * stalled: that connection should close.
 */
export async function discardUnreadBody(request: Request, limits: BodyLimits): Promise<void> {
  const body = request.body;
  if (body === null || body.locked) return;
  const declared = declaredLength(request);
  if (declared !== undefined && declared > limits.maxBodyBytes) return;
  try {
    await discardAll(body, declared, limits);
  } catch {
    // Too large, stalled, cut short or already read in part: either way the connection closes.
  }
}
