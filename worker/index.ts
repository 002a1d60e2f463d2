/**
 * Cloudflare Worker entry point: the Fashion-MNIST classifier API. The routes live in app.ts, what
 * every request gets around them in http/envelope.ts; this module only joins the two.
 */
import app from './app.ts';
import { envelope } from './http/envelope.ts';

export default { fetch: envelope(app.fetch) };
