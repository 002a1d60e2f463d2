/**
 * GET /v1/runtime: the state of the isolate that answers, for operators: whether the wasm SIMD
 * backend runs, the tfjs version, live tensors and wasm heap (constant between requests, else a
 * leak), the models loaded and predictions run, and the upload bytes it holds right now. Each
 * isolate answers for itself; it initialises nothing, so a fresh one reports what startup did.
 */
import { Hono } from 'hono';
import type { AppEnv } from '../env.ts';
import { bufferedBodyBytes } from '../http/upload-budget.ts';
import { servingInfo, type ServingInfo } from '../inference/models.ts';

/** The answer of GET /v1/runtime. */
export interface RuntimeStatus extends ServingInfo {
  /** Request body bytes this isolate is holding (counted against its upload budget). */
  bufferedBodyBytes: number;
}

/** The runtime status route. */
export const runtime = new Hono<AppEnv>().get('/v1/runtime', (c) => {
  const status: RuntimeStatus = { ...servingInfo(), bufferedBodyBytes: bufferedBodyBytes() };
  return c.json(status, 200, { 'Cache-Control': 'no-store' });
});
