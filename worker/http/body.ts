/**
 * Request bodies: their media type and their bytes, read under a size limit, a stall timeout and the
 * isolate-wide budget (upload-budget.ts). The limit is enforced while streaming, so an oversized
 * upload is refused after at most `maxBodyBytes` have been buffered, whether or not the client
 * declared its length.
 */
import { readChunks, tooLarge, type BodyLimits } from './body-stream.ts';
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
 * Every body is read chunk by chunk, small ones included: only bytes that have arrived are counted,
 * a stall is told from a trickle, and a body cut short says how far it got. The price, measured in
 * workerd (bench/body-read.ts, median over alternating rounds of each round's difference in workerd
 * CPU per request): +79 to +89 us against one `arrayBuffer()` for a 784-byte body (~450 us in all;
 * three runs), +290 to +340 us at 64 KiB; a bare reader loop without any of the guards costs the
 * same (+74 to +94 us), so it is the price of workerd's JS stream reader. Reading small bodies whole
 * would save it but either count them at their declared size before they arrive (260 header-only
 * connections held the whole budget that way) or leave a second, uncounted pool of pending reads
 * to bound, and could neither see a trickle nor say how much of a cut-short body came.
 */
export async function readBody(request: Request, limits: BodyLimits): Promise<Uint8Array> {
  const declared = declaredLength(request);
  if (declared !== undefined && declared > limits.maxBodyBytes) tooLarge(limits.maxBodyBytes);
  if (request.body === null || declared === 0) return new Uint8Array(0);

  const chunks: Uint8Array[] = [];
  let total: number;
  try {
    total = await readChunks(request.body, declared, limits, (chunk) => {
      reserve(request, chunk.byteLength);
      chunks.push(chunk);
    });
  } catch (error) {
    releaseBody(request);
    throw error;
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
    await readChunks(body, declared, limits, () => {});
  } catch {
    // Too large, stalled, cut short or already read in part: either way the connection closes.
  }
}
