/**
 * The isolate-wide budget for request body bytes. A body is counted as its bytes arrive (never from
 * a declared Content-Length, so a client that declares much and sends nothing holds nothing) and
 * stays counted until its request has been answered, since decoding and inference still use it.
 */
import { Problem } from './problem.ts';

/**
 * Body bytes the isolate holds at once: 12 MiB, the default MAX_BODY_BYTES, so one photo of the
 * largest size fits (and a lone upload may always reach MAX_BODY_BYTES, even one configured larger).
 * Against the isolate's 128 MB: the Worker holds ~26 MB live (JS heap ~10 MB + the 16 MB wasm heap,
 * README soak figures), bodies at most this budget (12.6 MB, the one being decoded included), and a
 * decode up to ~100 MB for a 24 MP progressive JPEG, one at a time: ~139 MB at worst. So the worst
 * case fits only if a decode stays under ~89 MB; a smaller budget would refuse the largest photos.
 */
export const ISOLATE_BODY_BUDGET = 12 * 1024 * 1024;

/** Body bytes counted right now, across the requests of this isolate still reading or handling them. */
let counted = 0;

/** What each of those requests has counted. */
const accounts = new WeakMap<Request, number>();

/** Body bytes the isolate is counting right now (0 between requests). */
export const bufferedBodyBytes = (): number => counted;

/**
 * Counts `bytes` more that just arrived for `request`; 429 when that overruns the budget with
 * others' bytes in it. The count lasts until releaseBody(request), or until the client disconnects:
 * workerd then drops the request's code where it waits (no `finally` runs), and only the abort of
 * `request.signal` (compatibility flag enable_request_signal) still reaches the isolate. Without it
 * every reset upload would keep its bytes counted for the isolate's lifetime.
 */
export function reserve(request: Request, bytes: number): void {
  const own = accounts.get(request);
  const ownTotal = (own ?? 0) + bytes;
  // Over budget only with others' bytes in it: a lone upload can always reach maxBytes.
  if (counted + bytes > ISOLATE_BODY_BUDGET && counted + bytes > ownTotal) {
    throw new Problem(
      429,
      'Too Many Requests',
      `this instance is already receiving ${ISOLATE_BODY_BUDGET} bytes of uploads; retry shortly`,
      { 'Retry-After': '1' },
    );
  }
  if (own === undefined)
    request.signal.addEventListener('abort', () => releaseBody(request), { once: true });
  accounts.set(request, ownTotal);
  counted += bytes;
}

/** Stops counting `request`'s body (once it is answered or given up); a no-op when nothing is counted. */
export function releaseBody(request: Request): void {
  counted -= accounts.get(request) ?? 0;
  accounts.delete(request);
}
