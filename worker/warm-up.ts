/**
 * A request through the routed application at global scope, so that a fresh isolate's first real
 * request does not pay for compiling and first running the request path: routing, the classify
 * handler, query parsing, the model lookup, body reading, the problem document (V8 compiles each
 * function on its first call). Workers allow CPU work at global scope and run it while the client's
 * TLS handshake completes, but workerd refuses a Request with a body and any Response there: so the
 * request has no body, which takes the handler to its 400 for an empty body, and the answer fails to
 * be built. That failure is the expected end of the warm-up and is dropped. The prediction itself was
 * warmed by the default model's start (inference/models.ts).
 */
import type { Env } from './env.ts';
import type { FetchHandler } from './http/envelope.ts';

/** The ExecutionContext of a request nobody sent: nothing to wait for, nothing to pass through. */
const NO_CONTEXT = { waitUntil: () => {}, passThroughOnException: () => {}, props: {} };

/** Sends `fetch` (the routed app, not the envelope, which would log the failure) a bodiless classify request. */
export function warmRequestPath(fetch: FetchHandler): void {
  try {
    const request = new Request('https://warm-up.invalid/v1/classify?top=3', {
      method: 'POST',
      headers: { 'Content-Type': 'application/octet-stream' },
    });
    Promise.resolve(fetch(request, {} as Env, NO_CONTEXT)).catch(() => undefined);
  } catch {
    // Refused outright: the first request warms the path instead.
  }
}
