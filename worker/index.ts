/**
 * Cloudflare Worker entry point: the Fashion-MNIST classifier API. The routes live in app.ts, what
 * every request gets around them in http/envelope.ts; this module only joins the two, and does at
 * global scope the CPU work a fresh isolate's first request would otherwise wait for (Workers run
 * it while the client's TLS handshake completes; inference/models.ts startDefaultModel says more).
 */
import app from './app.ts';
import { envelope } from './http/envelope.ts';
import { startDefaultModel } from './inference/models.ts';

startDefaultModel();
// Hono builds its route matcher on the first match (~4 ms of CPU in a fresh isolate): build it now.
app.router.match('POST', '/v1/classify');

export default { fetch: envelope(app.fetch) };
