/**
 * Cloudflare Worker entry point: the Fashion-MNIST classifier API. The routes live in app.ts, what
 * every request gets around them in http/envelope.ts; this module only joins the two, and starts
 * the default model while the isolate starts (inference/models.ts startDefaultModel says why).
 */
import app from './app.ts';
import { envelope } from './http/envelope.ts';
import { startDefaultModel } from './inference/models.ts';

startDefaultModel();

export default { fetch: envelope(app.fetch) };
