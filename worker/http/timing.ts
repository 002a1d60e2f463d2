/**
 * Server-Timing: every response carries `total`, model routes add their phases (`read`, `decode`,
 * `infer`) so a client can tell network time from decode time from inference time. The format is
 * hono/timing's (`read;dur=0.1,...,total;dur=1.2;desc="Total Response Time"`); the recorder is one
 * string built as phases end, found by the request it times.
 */
import type { Context } from 'hono';

/** The phases of one request, in the order they ended. */
class ServerTiming {
  readonly #start = performance.now();
  #phases = '';

  end(name: string, since: number): void {
    this.#phases += `${name};dur=${(performance.now() - since).toFixed(1)},`;
  }

  /** The Server-Timing header value: the phases so far, then the total since construction. */
  header(): string {
    return `${this.#phases}total;dur=${(performance.now() - this.#start).toFixed(1)};desc="Total Response Time"`;
  }
}

const timings = new WeakMap<Request, ServerTiming>();

/** Starts timing `request` (the envelope does, for every request); its phases are recorded by measure(). */
export function startTiming(request: Request): { header(): string } {
  const timing = new ServerTiming();
  timings.set(request, timing);
  return timing;
}

function end(c: Context, name: string, since: number): void {
  timings.get(c.req.raw)?.end(name, since);
}

/** Runs synchronous `work` as the Server-Timing phase `name`. */
export function measure<T>(c: Context, name: string, work: () => T): T {
  const since = performance.now();
  try {
    return work();
  } finally {
    end(c, name, since);
  }
}

/** Awaits `pending` as the Server-Timing phase `name`, from now until it settles. */
export async function measureAsync<T>(c: Context, name: string, pending: Promise<T>): Promise<T> {
  const since = performance.now();
  try {
    return await pending;
  } finally {
    end(c, name, since);
  }
}
