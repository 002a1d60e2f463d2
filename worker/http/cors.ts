/**
 * CORS for static sites calling the API from the browser, configured by ALLOWED_ORIGINS: "*" lets
 * any page in; a list echoes the caller's Origin only when it is listed (with `Vary: Origin`, so
 * caches keep answers per origin) and leaves a stranger's response without any
 * Access-Control-Allow-Origin, which is what makes the browser withhold it.
 *
 * Written out rather than hono/cors: every header value is fixed when the policy is built, and
 * headers are set once on the final response instead of on a placeholder that Hono then copies.
 */
import { allowedOriginsOf, type Env } from '../env.ts';

/** A day (Firefox's cap; Chromium caps at two hours): the answer only changes with a redeploy. */
const MAX_AGE_SECONDS = '86400';
const ALLOW_METHODS = 'GET,HEAD,POST';
/** Inference-Header-Content-Length: a page may send v2 binary tensors, as Triton's clients do. */
const ALLOW_HEADERS = 'Content-Type,Authorization,Inference-Header-Content-Length';
/**
 * Scripts may read the phases a response took (see timing.ts), and where a v2 binary answer's JSON
 * header ends (Inference-Header-Content-Length), which they need to split its body.
 */
const EXPOSE_HEADERS = 'Server-Timing, Inference-Header-Content-Length';

/** The CORS answers of one ALLOWED_ORIGINS setting. */
export interface CorsPolicy {
  /** The Access-Control-Allow-Origin for a request from `origin` (null: no Origin header), or null for none. */
  allowOrigin(origin: string | null): string | null;
  /** Adds the CORS headers of a response (not a preflight) whose allowed origin is `allowed`. */
  decorate(headers: Headers, allowed: string | null): void;
  /** The 204 answer to a preflight (any OPTIONS request) from `origin`. */
  preflight(origin: string | null): Response;
}

function corsPolicy(allowed: '*' | string[]): CorsPolicy {
  const any = allowed === '*';
  const allowOrigin = any
    ? () => '*'
    : (origin: string | null) => (origin !== null && allowed.includes(origin) ? origin : null);
  const decorate = (headers: Headers, origin: string | null): void => {
    if (origin !== null) headers.set('Access-Control-Allow-Origin', origin);
    headers.set('Access-Control-Expose-Headers', EXPOSE_HEADERS);
    if (!any) headers.append('Vary', 'Origin');
  };
  return {
    allowOrigin,
    decorate,
    preflight(origin) {
      const headers = new Headers({
        'Access-Control-Max-Age': MAX_AGE_SECONDS,
        'Access-Control-Allow-Methods': ALLOW_METHODS,
        'Access-Control-Allow-Headers': ALLOW_HEADERS,
      });
      decorate(headers, allowOrigin(origin));
      headers.append('Vary', 'Access-Control-Request-Headers');
      return new Response(null, { status: 204, statusText: 'No Content', headers });
    },
  };
}

// Vars are fixed for an isolate's life: one policy, rebuilt only if the setting ever differs.
let cached: { setting: string | undefined; policy: CorsPolicy } | undefined;

/** The CORS policy of this Worker's ALLOWED_ORIGINS, parsed once. */
export function corsPolicyOf(env: Env): CorsPolicy {
  if (cached === undefined || cached.setting !== env.ALLOWED_ORIGINS) {
    cached = { setting: env.ALLOWED_ORIGINS, policy: corsPolicy(allowedOriginsOf(env)) };
  }
  return cached.policy;
}
