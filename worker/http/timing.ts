/**
 * Server-Timing: every response carries `total`, model routes add their phases (`read`, `decode`,
 * `infer`) so a client can tell network time from decode time from inference time.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { endTime, startTime, timing } from 'hono/timing';

/**
 * The timing middleware. Timing-Allow-Origin mirrors whatever CORS allowed, so the same pages that
 * may read the response may also see its timings in the Resource Timing API.
 */
export const serverTiming = (): MiddlewareHandler =>
  timing({ crossOrigin: (c) => c.res.headers.get('Access-Control-Allow-Origin') ?? false });

/** Runs synchronous `work` as the Server-Timing metric `name`. */
export function measure<T>(c: Context, name: string, work: () => T): T {
  startTime(c, name);
  try {
    return work();
  } finally {
    endTime(c, name);
  }
}
