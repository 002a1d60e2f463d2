/**
 * GET / : the demo page, where people try the classifier by drawing, uploading a photo or picking a
 * test image. It ships inside the Worker and calls only the public API (POST /v1/classify), through
 * the browser helper (/client.js).
 */
import { Hono } from 'hono';
import { renderDemoPage } from '../demo/page.ts';
import type { AppEnv } from '../env.ts';
import { describeModel } from '../inference/models.ts';

/** The demo page route (HEAD is answered from GET by Hono). */
export const demo = new Hono<AppEnv>().get('/', async (c) => {
  // The page names the model; it answers even when the model cannot load (its requests then get 503).
  const model = (await describeModel())!;
  const page = await renderDemoPage(model);
  return c.html(page.html, 200, {
    'Content-Security-Policy': page.contentSecurityPolicy,
    // Revalidated on every visit: the page names the deployed model, which changes with a deploy.
    'Cache-Control': 'no-cache',
    'X-Content-Type-Options': 'nosniff',
  });
});
