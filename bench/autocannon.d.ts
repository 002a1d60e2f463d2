/**
 * The part of autocannon's API the HTTP benchmark uses (autocannon ships no types, and the
 * project adds no @types package for one call).
 */
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  interface Options {
    url: string;
    method?: string;
    headers?: Record<string, string>;
    /** autocannon insists on a Buffer (or a string). */
    body?: Buffer;
    connections?: number;
    /** Seconds. */
    duration?: number;
  }

  interface Result {
    /** Seconds the run lasted. */
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
  }

  /** Emits 'response' (client, statusCode, bytes, responseTimeMs) for every response. */
  type Instance = EventEmitter;

  function autocannon(
    options: Options,
    done: (error: Error | null, result: Result) => void,
  ): Instance;
  export default autocannon;
}
