/**
 * The no-op Worker that images with the Images binding are measured against: it reads the body and
 * hands it to the binding exactly as the classifier does (the size from this Worker's own header
 * reader when it can read one, scaled to the same long side), reads the PNG that comes back, and
 * does nothing else. What the classifier costs beyond it is its own work on the binding's answer:
 * decoding the small PNG, preprocessing and inference. What it costs beyond the plain no-op is the
 * binding's round trip, which locally includes Miniflare's plumbing (in production, I/O).
 */
import { DECODE_LONG_SIDE } from '../worker/image/gray.ts';
import { throughImagesBinding, type ImagesBinding } from '../worker/image/images-binding.ts';
import { sniffImage } from '../worker/image/sniff.ts';

export default {
  async fetch(request: Request, env: { IMAGES: ImagesBinding }): Promise<Response> {
    const bytes = new Uint8Array(await request.arrayBuffer());
    let size;
    try {
      size = sniffImage(bytes);
    } catch {
      size = undefined; // a format only the binding reads
    }
    const png = await throughImagesBinding(env.IMAGES, bytes, DECODE_LONG_SIDE, size);
    return Response.json({ ok: true, bytes: bytes.byteLength, png: png.byteLength });
  },
};
