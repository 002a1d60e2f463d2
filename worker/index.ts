/**
 * Cloudflare Worker entry point: the Fashion-MNIST classifier API. The routes live in app.ts, what
 * every request gets around them in http/envelope.ts; this module only joins the two, and does at
 * global scope the CPU work a fresh isolate's first request would otherwise wait for (Workers run
 * it while the client's TLS handshake completes; inference/models.ts startDefaultModel says more).
 */
import app from './app.ts';
import { envelope } from './http/envelope.ts';
import { startDefaultModel } from './inference/models.ts';
import { warmRequestPath } from './warm-up.ts';

startDefaultModel();
// Also builds Hono's route matcher, which it does on the first match (~4 ms of CPU in a fresh isolate).
warmRequestPath(app.fetch);

export default { fetch: envelope(app.fetch) };
