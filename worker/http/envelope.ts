/**
 * What every request gets around the routed application: CORS (preflights answered here, headers
 * on every other answer, errors included), the optional bearer token, Server-Timing, and, once
 * answered, releasing the body from the upload budget and draining whatever was left unread of it.
 *
 * It wraps the Hono app's fetch instead of being Hono middleware: a middleware route matches every
 * path, so each request would go through Hono's regular-expression match and its middleware
 * composition instead of the static-path lookup and the direct handler call.
 */
import type { ExecutionContext } from 'hono';
import { limitsOf, type Env } from '../env.ts';
import { refusal } from './auth.ts';
import { discardUnreadBody } from './body.ts';
import { corsPolicyOf } from './cors.ts';
import { isProtocolPath } from '../protocol/paths.ts';
import { internalError, problemResponse } from './problem.ts';
import { startTiming } from './timing.ts';
import { releaseBody } from './upload-budget.ts';

/** A Worker fetch handler. */
export type FetchHandler = (
  request: Request,
  env: Env,
  ctx: ExecutionContext,
) => Response | Promise<Response>;

/** The CORS, token and timing part of the envelope around `inner`. */
async function answer(
  inner: FetchHandler,
  request: Request,
  env: Env,
  ctx: ExecutionContext,
): Promise<Response> {
  const cors = corsPolicyOf(env);
  const origin = request.headers.get('Origin');
  // Preflights are public and never reach the routes.
  if (request.method === 'OPTIONS') return cors.preflight(origin);
  const timing = startTiming(request);
  const protocol = isProtocolPath(new URL(request.url).pathname);
  const pending = refusal(request, env);
  const refused = pending && (await pending);
  const response = refused ? problemResponse(refused, protocol) : await inner(request, env, ctx);
  const allowed = cors.allowOrigin(origin);
  const headers = response.headers;
  // TF Serving and Triton clients read bodies as sent (the asyncio Triton client asks for gzip and
  // then parses the bytes as they are): no-transform keeps Cloudflare's edge from compressing, and an
  // explicit identity encoding keeps workerd (which ignores no-transform, measured) from gzipping.
  if (protocol) {
    headers.set('Cache-Control', 'no-transform');
    headers.set('Content-Encoding', 'identity');
  }
  cors.decorate(headers, allowed);
  headers.set('Server-Timing', timing.header());
  // Pages that may read the response may also see its timings in the Resource Timing API.
  if (allowed !== null) headers.set('Timing-Allow-Origin', allowed);
  return response;
}

/** `inner` (the routed application) wrapped in what every request gets; see the module comment. */
export function envelope(inner: FetchHandler): FetchHandler {
  return async (request, env, ctx) => {
    try {
      const response = await answer(inner, request, env, ctx);
      // A body left unread would cost the client its keep-alive connection (see discardUnreadBody).
      // Draining after the answer has gone out (waitUntil) is not enough: measured, 12 of 3,000
      // mixed requests on one connection still failed.
      await discardUnreadBody(request, limitsOf(env));
      return response;
    } catch (error) {
      // The app maps its own errors; only a malformed binding (corsPolicyOf, limitsOf) gets here.
      return internalError(error);
    } finally {
      // Decoding and inference held the body until here, whatever they awaited along the way.
      releaseBody(request);
    }
  };
}
