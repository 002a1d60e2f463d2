/**
 * Cloudflare Worker entry point: the Fashion-MNIST classifier API. Everything lives in app.ts;
 * this module only hands the Hono app to the runtime.
 */
import app from './app.ts';

export default app;
