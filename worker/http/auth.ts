/**
 * Optional access control. When the secret API_TOKEN is set (`wrangler secret put API_TOKEN`), the
 * inference endpoints (every POST route) require `Authorization: Bearer <token>` and answer anything
 * else with a 401 problem and a `WWW-Authenticate: Bearer` challenge. Health, metadata, the OpenAPI
 * document, the demo page and CORS preflights stay public. Unset or empty, the API is open.
 */
import type { Env } from '../env.ts';
import { Problem } from './problem.ts';

/** The credentials of an Authorization header; the scheme is case-insensitive (RFC 9110 11.1). */
const BEARER = /^Bearer +(\S+) *$/i;

const encoder = new TextEncoder();

const sha256 = (text: string): Promise<ArrayBuffer> =>
  crypto.subtle.digest('SHA-256', encoder.encode(text));

/** workerd's extension of SubtleCrypto; stated here as the tests also compile this file against the DOM types. */
type WorkerdSubtleCrypto = SubtleCrypto & {
  timingSafeEqual(a: ArrayBuffer, b: ArrayBuffer): boolean;
};

/**
 * Whether `given` is `token`, in constant time: both are hashed first, so workerd's
 * timingSafeEqual always compares 32 bytes and the time taken reveals neither content nor length.
 */
async function isToken(given: string, token: string): Promise<boolean> {
  const [a, b] = await Promise.all([sha256(given), sha256(token)]);
  return (crypto.subtle as WorkerdSubtleCrypto).timingSafeEqual(a, b);
}

const unauthorized = (detail: string, challenge: string): Problem =>
  new Problem(401, 'Unauthorized', detail, { 'WWW-Authenticate': challenge });

async function tokenProblem(request: Request, token: string): Promise<Problem | undefined> {
  const given = BEARER.exec(request.headers.get('Authorization') ?? '')?.[1];
  if (given === undefined)
    return unauthorized('this endpoint requires an Authorization: Bearer <token> header', 'Bearer');
  // RFC 6750 3.1: a token that was sent but is wrong is "invalid_token".
  if (!(await isToken(given, token)))
    return unauthorized('the bearer token is not valid', 'Bearer error="invalid_token"');
  return undefined;
}

/**
 * The 401 problem for a POST without the configured bearer token, or undefined when the request may
 * pass. Synchronous (undefined) when no token is required, so that an open API awaits nothing here.
 */
export function refusal(request: Request, env: Env): Promise<Problem | undefined> | undefined {
  const token = env.API_TOKEN;
  return token && request.method === 'POST' ? tokenProblem(request, token) : undefined;
}
