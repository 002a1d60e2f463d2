/**
 * Optional access control. When the secret API_TOKEN is set (`wrangler secret put API_TOKEN`), the
 * inference endpoints (every POST route) require `Authorization: Bearer <token>` and answer anything
 * else with a 401 problem and a `WWW-Authenticate: Bearer` challenge. Health, metadata, the OpenAPI
 * document, the demo page and CORS preflights stay public. Unset or empty, the API is open.
 */
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../env.ts';
import { Problem } from './problem.ts';

/** The credentials of an Authorization header; the scheme is case-insensitive (RFC 9110 11.1). */
const BEARER = /^Bearer +(\S+) *$/i;

const encoder = new TextEncoder();

const sha256 = (text: string): Promise<ArrayBuffer> => crypto.subtle.digest('SHA-256', encoder.encode(text));

/** workerd's extension of SubtleCrypto; stated here as the tests also compile this file against the DOM types. */
type WorkerdSubtleCrypto = SubtleCrypto & { timingSafeEqual(a: ArrayBuffer, b: ArrayBuffer): boolean };

/**
 * Whether `given` is `token`, in constant time: both are hashed first, so workerd's
 * timingSafeEqual always compares 32 bytes and the time taken reveals neither content nor length.
 */
async function isToken(given: string, token: string): Promise<boolean> {
  const [a, b] = await Promise.all([sha256(given), sha256(token)]);
  return (crypto.subtle as WorkerdSubtleCrypto).timingSafeEqual(a, b);
}

const unauthorized = (detail: string, challenge: string): Problem => new Problem(401, 'Unauthorized', detail, { 'WWW-Authenticate': challenge });

/** Lets a POST through only with the configured bearer token; every other request passes untouched. */
export const requireToken: MiddlewareHandler<AppEnv> = async (c, next) => {
  const token = c.env.API_TOKEN;
  if (!token || c.req.method !== 'POST') return next();
  const given = BEARER.exec(c.req.header('Authorization') ?? '')?.[1];
  if (given === undefined) throw unauthorized('this endpoint requires an Authorization: Bearer <token> header', 'Bearer');
  // RFC 6750 3.1: a token that was sent but is wrong is "invalid_token".
  if (!(await isToken(given, token))) throw unauthorized('the bearer token is not valid', 'Bearer error="invalid_token"');
  return next();
};
