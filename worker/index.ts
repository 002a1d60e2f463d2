/**
 * Cloudflare Worker entry point: the Fashion-MNIST classifier API. Everything lives in app.ts;
 * this module hands the Hono app to the runtime, once the image decoders are loaded: they load on
 * the first request instead of at startup (see loadImageDecoders), then cost one resolved await.
 */
import app from './app.ts';
import { loadImageDecoders } from './image/index.ts';

export default {
  async fetch(...args: Parameters<typeof app.fetch>): Promise<Response> {
    await loadImageDecoders();
    return app.fetch(...args);
  },
};
