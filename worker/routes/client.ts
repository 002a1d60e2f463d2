/**
 * GET /client.js: the browser helper (worker/client/client.js, bundled as text by a wrangler.toml
 * rule), an ES module any page may import, cross-origin included, to classify photos without
 * uploading them whole.
 */
import { Hono } from 'hono';
import type { AppEnv } from '../env.ts';
import { onceUntilSuccess } from '../runtime/once.ts';
import source from '../client/client.js';

/** Strong ETag of the module: 128 bits of its SHA-256, so it changes exactly when a deploy changes the file. */
const etag = onceUntilSuccess(async () => {
  const digest = new Uint8Array(
    await crypto.subtle.digest('SHA-256', new TextEncoder().encode(source)),
  );
  return `"${btoa(String.fromCharCode(...digest.subarray(0, 16))).replace(/=+$/, '')}"`;
});

/** The helper's route (HEAD is answered from GET by Hono). */
export const client = new Hono<AppEnv>().get('/client.js', async (c) => {
  const tag = await etag();
  const headers = {
    ETag: tag,
    // An hour fresh, then revalidated by ETag: the URL is unversioned and a deploy may change it.
    'Cache-Control': 'public, max-age=3600',
    // Public code: any page may load it, also from a Worker whose ALLOWED_ORIGINS lists other
    // origins (the envelope adds no Access-Control-Allow-Origin for those, so this one stays); the
    // API calls it makes are still subject to the allow-list.
    'Access-Control-Allow-Origin': '*',
    'X-Content-Type-Options': 'nosniff',
  };
  // RFC 9110 13.1.2: weak comparison, a list of tags, or "*".
  const match = c.req.header('If-None-Match');
  if (
    match !== undefined &&
    match.split(',').some((candidate) => ['*', tag].includes(candidate.trim().replace(/^W\//, '')))
  ) {
    return c.body(null, 304, headers);
  }
  return c.body(source, 200, { ...headers, 'Content-Type': 'text/javascript; charset=utf-8' });
});
