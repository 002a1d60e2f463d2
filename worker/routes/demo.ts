/**
 * GET / : the demo page, where people try the classifier by drawing, uploading a photo or picking a
 * test image. It ships inside the Worker and calls only the public API (POST /v1/classify), through
 * the browser helper (/client.js).
 */
import { Hono } from 'hono';
import { renderDemoPage } from '../demo/page.ts';
import type { AppEnv } from '../env.ts';
import { requireModel } from './model.ts';

/** The demo page route (HEAD is answered from GET by Hono). */
export const demo = new Hono<AppEnv>().get('/', async (c) => {
  // Loading the model here costs the first visitor nothing extra: their first classification needs it anyway.
  const model = await requireModel(undefined);
  const page = await renderDemoPage(model);
  return c.html(page.html, 200, {
    'Content-Security-Policy': page.contentSecurityPolicy,
    // Revalidated on every visit: the page names the deployed model, which changes with a deploy.
    'Cache-Control': 'no-cache',
    'X-Content-Type-Options': 'nosniff',
  });
});
