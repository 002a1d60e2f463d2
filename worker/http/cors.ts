/**
 * CORS for static sites calling the API from the browser, configured by ALLOWED_ORIGINS: "*" lets
 * any page in; a list echoes the caller's Origin only when it is listed (with `Vary: Origin`, so
 * caches keep answers per origin) and leaves a stranger's response without any
 * Access-Control-Allow-Origin, which is what makes the browser withhold it.
 */
import type { MiddlewareHandler } from 'hono';
import { cors as honoCors } from 'hono/cors';
import { allowedOriginsOf, type AppEnv } from '../env.ts';

/** A day (Firefox's cap; Chromium caps at two hours): the answer only changes with a redeploy. */
const MAX_AGE_SECONDS = 86_400;

// One middleware per configuration; vars are fixed for an isolate's life, so this holds one entry.
const byConfiguration = new Map<string, MiddlewareHandler>();

function corsFor(allowed: '*' | string[]): MiddlewareHandler {
  const key = allowed === '*' ? '*' : allowed.join(',');
  let middleware = byConfiguration.get(key);
  if (!middleware) {
    middleware = honoCors({
      origin: allowed,
      allowMethods: ['GET', 'HEAD', 'POST'],
      allowHeaders: ['Content-Type', 'Authorization'],
      exposeHeaders: ['Server-Timing'],
      maxAge: MAX_AGE_SECONDS,
    });
    byConfiguration.set(key, middleware);
  }
  return middleware;
}

/** CORS headers on every response and 204 answers to preflight requests. */
export const cors: MiddlewareHandler<AppEnv> = (c, next) => corsFor(allowedOriginsOf(c.env))(c, next);
