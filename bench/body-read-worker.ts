/**
 * The Worker bench/body-read.ts loads: it reads the request body the way `?read=` says and answers
 * its length, so that what workerd spends per request differs only in how the body was read.
 * - `whole`: one `arrayBuffer()`, how the API used to read small declared bodies.
 * - `to-eof`: a plain reader loop until the stream reports its end.
 * - `readBody`: worker/http/body.ts, what the API does now: chunk by chunk, each chunk counted
 *   against the upload budget and each read raced against the stall timer, done once the declared
 *   bytes are in.
 */
import { DEFAULT_BODY_STALL_MS, DEFAULT_MAX_BODY_BYTES } from '../worker/env.ts';
import { readBody } from '../worker/http/body.ts';
import { releaseBody } from '../worker/http/upload-budget.ts';

const LIMITS = { maxBodyBytes: DEFAULT_MAX_BODY_BYTES, bodyStallMs: DEFAULT_BODY_STALL_MS };

/** The body's chunks, read until the stream ends. */
async function readToEof(body: ReadableStream<Uint8Array>): Promise<Uint8Array[]> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  for (let result = await reader.read(); !result.done; result = await reader.read())
    chunks.push(result.value);
  return chunks;
}

/** Bytes of the body read the way `read` says. */
async function bytesRead(request: Request, read: string | null): Promise<number> {
  if (read === 'whole') return (await request.arrayBuffer()).byteLength;
  if (read === 'to-eof')
    return (await readToEof(request.body!)).reduce((sum, chunk) => sum + chunk.byteLength, 0);
  const body = await readBody(request, LIMITS);
  releaseBody(request);
  return body.byteLength;
}

export default {
  async fetch(request: Request): Promise<Response> {
    return Response.json({
      bytes: await bytesRead(request, new URL(request.url).searchParams.get('read')),
    });
  },
};
