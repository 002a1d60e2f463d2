/**
 * Reading a request body off its stream, chunk by chunk, with what every read must guard against:
 * more than the limit (413), a client that stops sending (408) and one that goes away before the end
 * (400). None of these may hold the request open or become a 500.
 */
import type { Limits } from '../env.ts';
import { badRequest, contentTooLarge, Problem } from './problem.ts';

/** Limits a body is read under. */
export type BodyLimits = Pick<Limits, 'maxBodyBytes' | 'bodyStallMs'>;

/** 413 for a body over `maxBytes`. */
export function tooLarge(maxBytes: number): never {
  throw contentTooLarge(`request body exceeds the limit of ${maxBytes} bytes`);
}

/** "after 400 of 784 declared bytes", or "after 400 bytes" for a body of undeclared length. */
const progressOf = (received: number, declared: number | undefined): string =>
  declared === undefined
    ? `after ${received} bytes`
    : `after ${received} of ${declared} declared bytes`;

/** 400 for a body that ended before its declared length, or whose connection failed mid-body. */
const endedEarly = (received: number, declared: number | undefined): Problem =>
  badRequest(`the request body ended ${progressOf(received, declared)}`);

/**
 * Calls `onStall` once the upload has been silent for `stallMs`. One timer per read loop (not one
 * per read), re-armed from the last arrival when it fires: a trickling upload is never cut off, a
 * silent one is after `stallMs`. workerd's Date.now() advances with I/O, which is exactly what
 * arrivals and timer firings are.
 */
function stallWatch(
  stallMs: number,
  onStall: () => void,
): { arrived: () => void; stop: () => void } {
  let lastArrival = Date.now();
  let timer: ReturnType<typeof setTimeout>;
  const arm = (delay: number): void => {
    timer = setTimeout(() => {
      const silent = Date.now() - lastArrival;
      if (silent >= stallMs) onStall();
      else arm(stallMs - silent);
    }, delay);
  };
  arm(stallMs);
  return { arrived: () => (lastArrival = Date.now()), stop: () => clearTimeout(timer) };
}

/** The first buffer a kept body is read into: small bodies fit it; larger ones grow it by doubling. */
const FIRST_BUFFER_BYTES = 16 * 1024;
/** The buffer a discarded body is read into, over and over. */
const DISCARD_BUFFER_BYTES = 64 * 1024;

/** Where the bytes of a body go while it is read. */
interface Destination {
  /** The view the next read fills. */
  next(total: number): Uint8Array;
  /** Takes back the buffer a read filled (a BYOB read transfers it). */
  filled(view: Uint8Array): void;
}

/**
 * Keeps every byte, in one buffer that starts small and doubles when full, never past `most`: the
 * memory a body holds is at most twice what has arrived (plus the first buffer), never what it
 * declares, so connections that declare large bodies and send nothing cost nothing.
 */
function keepAll(most: number): Destination & { bytes(total: number): Uint8Array } {
  let buffer = new ArrayBuffer(Math.min(FIRST_BUFFER_BYTES, most));
  return {
    next(total) {
      if (total === buffer.byteLength) {
        const grown = new Uint8Array(Math.min(2 * buffer.byteLength, most));
        grown.set(new Uint8Array(buffer, 0, total));
        buffer = grown.buffer;
      }
      return new Uint8Array(buffer, total, buffer.byteLength - total);
    },
    filled(view) {
      buffer = view.buffer as ArrayBuffer;
    },
    bytes: (total) => new Uint8Array(buffer, 0, total),
  };
}

/** Reads every byte into the same small buffer and drops it. */
function discardInto(): Destination {
  let buffer = new ArrayBuffer(DISCARD_BUFFER_BYTES);
  return {
    next: () => new Uint8Array(buffer),
    filled(view) {
      buffer = view.buffer as ArrayBuffer;
    },
  };
}

/**
 * Reads `body` to its end into `destination`, calling `onChunk` with the size of each piece that
 * arrives, and returns how many bytes it held. Throws 413 once more than `maxBodyBytes` have come,
 * 408 when no bytes came for `bodyStallMs`, and 400 when the body ends short of its `declared`
 * length. workerd reports a client that half-closes its connection mid-body as a read failing with
 * `Error: Network connection lost.` (measured in workerd 1.20260426, for Content-Length and chunked
 * bodies alike); any failed read is reported as the body ending early. A client that resets is never
 * answered: workerd drops the request's code where it waits (see upload-budget.ts). On 413 and 408
 * the stream is cancelled, so the rest of the upload is never read and the connection closes. The
 * stream stays locked unless `onChunk` throws, so that only a body with bytes still to come is
 * drained.
 *
 * A BYOB reader, because a default reader hands over workerd's request body in 4 KiB chunks: 370
 * reads for a 1.5 MB photo, +5 ms of workerd CPU against +0.23 ms for the few reads a BYOB reader
 * needs into one growing buffer (bench/body-read.ts; both against one `arrayBuffer()`).
 */
async function readInto(
  body: ReadableStream<Uint8Array>,
  declared: number | undefined,
  limits: BodyLimits,
  destination: Destination,
  onChunk: (byteLength: number) => void,
): Promise<number> {
  const reader = body.getReader({ mode: 'byob' });
  let stalled = false;
  // Cancelling ends the pending read as if the body had ended, and tells the runtime to stop
  // receiving; a flag, not a Promise.race per read, tells the two apart (cheaper per read).
  const watch = stallWatch(limits.bodyStallMs, () => {
    stalled = true;
    reader.cancel().catch(() => {});
  });
  let total = 0;
  try {
    // A declared body is complete once its bytes are in (HTTP framing allows no more).
    while (declared === undefined || total < declared) {
      let result: ReadableStreamReadResult<Uint8Array> | undefined;
      try {
        result = await reader.read(destination.next(total));
      } catch {
        // A stall or the body ending early: told apart just below.
      }
      if (stalled) {
        // With the body unread, workerd closes the connection after the answer (it drops any
        // `Connection: close` a Worker sets, and needs none).
        throw new Problem(
          408,
          'Request Timeout',
          `no bytes of the request body arrived for ${limits.bodyStallMs} ms, ${progressOf(total, declared)}`,
        );
      }
      if (result === undefined) throw endedEarly(total, declared);
      if (result.value) destination.filled(result.value);
      if (result.done) break;
      watch.arrived();
      total += result.value.byteLength;
      if (total > limits.maxBodyBytes) {
        // Waiting on the cancellation would only delay the 413.
        reader.cancel().catch(() => {});
        tooLarge(limits.maxBodyBytes);
      }
      try {
        onChunk(result.value.byteLength);
      } catch (error) {
        // The caller gave up (429) with the rest unread: unlocked, the stream can still be drained.
        reader.releaseLock();
        throw error;
      }
    }
  } finally {
    watch.stop();
  }
  if (declared !== undefined && total < declared) throw endedEarly(total, declared);
  return total;
}

/**
 * Reads the whole body (see readInto for its guards) and returns its bytes; `onChunk` is called with
 * the size of each piece as it arrives, before the next is read.
 */
export async function readAll(
  body: ReadableStream<Uint8Array>,
  declared: number | undefined,
  limits: BodyLimits,
  onChunk: (byteLength: number) => void,
): Promise<Uint8Array> {
  // One byte past the limit when the length is not declared, so that an oversized body shows itself.
  const destination = keepAll(declared ?? limits.maxBodyBytes + 1);
  return destination.bytes(await readInto(body, declared, limits, destination, onChunk));
}

/** Reads the whole body under readInto's guards and throws its bytes away. */
export async function discardAll(
  body: ReadableStream<Uint8Array>,
  declared: number | undefined,
  limits: BodyLimits,
): Promise<void> {
  await readInto(body, declared, limits, discardInto(), () => {});
}
