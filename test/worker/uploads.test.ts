/**
 * Uploads that misbehave on the wire, against the real Worker in workerd over raw TCP: connections
 * that declare a body and send (almost) nothing, an upload that stalls, one cut short by its client,
 * and one that trickles. None may starve honest uploads, hold the isolate's budget, or get a 5xx.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testImages } from '../../harness/dataset.ts';
import { expectProblem } from './expect.ts';
import { startWorker, type WorkerUnderTest } from '../../harness/worker/start-worker.ts';
import { runtimeOf } from '../../harness/worker/runtime-status.ts';
import { openRequest, type RawRequest, type RawResponse } from './raw-http.ts';

const MIB = 1024 * 1024;
const CLASSIFY = '/v1/classify';
/** The stall timeout of the Worker under test, shortened from the default 5 s. */
const STALL_MS = 2000;
const image = testImages(1).images[0]!;

let worker: WorkerUnderTest;
/** The same Worker with a stall timeout long enough to hold 300 silent connections open throughout a test. */
let patient: WorkerUnderTest;
beforeAll(async () => {
  [worker, patient] = await Promise.all([
    startWorker({ bindings: { BODY_STALL_MS: String(STALL_MS) } }),
    startWorker({ bindings: { BODY_STALL_MS: '60000' } }),
  ]);
});
afterAll(() => Promise.all([worker?.dispose(), patient?.dispose()]));

const octetStream = (length: number) => ({
  'Content-Type': 'application/octet-stream',
  'Content-Length': String(length),
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls the body bytes `on` counts until `done` holds for them (at most ~20 s); returns the last figure. */
async function bufferedWhen(done: (bytes: number) => boolean, on = worker): Promise<number> {
  let bytes = (await runtimeOf(on)).bufferedBodyBytes;
  for (let polls = 0; polls < 400 && !done(bytes); polls++) {
    await sleep(50);
    bytes = (await runtimeOf(on)).bufferedBodyBytes;
  }
  return bytes;
}

/** Asserts a raw response is the `status` problem with a detail matching `detail`. */
function expectRawProblem(response: RawResponse, status: number, detail: RegExp): void {
  expect(response.status, response.body).toBe(status);
  expect(response.headers['content-type']).toBe('application/problem+json');
  expect(JSON.parse(response.body)).toMatchObject({
    status,
    detail: expect.stringMatching(detail),
  });
}

/** An honest upload sent with fetch: `bytes` zeros as octet-stream (a 400 for not being 784 bytes). */
const honestUpload = (bytes: number, to = worker) =>
  to.fetch(CLASSIFY, {
    method: 'POST',
    headers: { 'Content-Type': 'application/octet-stream' },
    body: new Uint8Array(bytes),
  });

describe('connections that declare a body and do not send it', () => {
  it('hold no budget: 300 of them, each declaring 65536 bytes and sending 1, do not make an honest upload fail', async () => {
    const silent: RawRequest[] = [];
    try {
      for (let i = 0; i < 300; i++) {
        const request = openRequest(new URL(CLASSIFY, patient.url), 'POST', octetStream(65536));
        // One byte each, so that the count of bytes the Worker holds shows when all 300 are in.
        request.socket.write(new Uint8Array(1));
        silent.push(request);
      }
      // 300 x 65536 declared is 18.75 MiB, more than the 12 MiB budget; counted as they arrive it is 300 bytes.
      expect(await bufferedWhen((bytes) => bytes === 300, patient)).toBe(300);
      await expectProblem(
        await honestUpload(MIB, patient),
        400,
        /exactly 784 bytes .*got 1048576$/,
      );
      expect((await honestUpload(image.length, patient)).status).toBe(200);
      // All 300 were still open while the honest uploads went through.
      expect(await bufferedWhen(() => true, patient)).toBe(300);
    } finally {
      for (const { socket } of silent) socket.destroy();
    }
    // Their clients went away: what they had sent is released.
    expect(await bufferedWhen((bytes) => bytes === 0, patient)).toBe(0);
  });
});

describe('a stalled upload', () => {
  it(`gets 408 after ${STALL_MS} ms without a byte, and its budget is free again afterwards`, async () => {
    // 10 MiB of a declared 12 MiB, then silence: the stalled upload holds most of the budget.
    const stalled = openRequest(new URL(CLASSIFY, worker.url), 'POST', octetStream(12 * MIB));
    stalled.socket.write(new Uint8Array(10 * MIB));
    try {
      expect(await bufferedWhen((bytes) => bytes === 10 * MIB)).toBe(10 * MIB);
      await expectProblem(
        await honestUpload(3 * MIB),
        429,
        /already receiving 12582912 bytes of uploads/,
      );
      expectRawProblem(
        await stalled.response,
        408,
        new RegExp(
          `^no bytes of the request body arrived for ${STALL_MS} ms, after 10485760 of 12582912 declared bytes$`,
        ),
      );
      // The Worker closes the connection: the rest of that body will never be read.
      await stalled.closed;
    } finally {
      stalled.socket.destroy();
    }
    expect(await bufferedWhen((bytes) => bytes === 0)).toBe(0);
    await expectProblem(await honestUpload(3 * MIB), 400, /exactly 784 bytes .*got 3145728$/);
  });

  it('that trickles a few bytes every 500 ms (four times in each stall period) is read to the end', async () => {
    const trickle = openRequest(new URL(CLASSIFY, worker.url), 'POST', octetStream(image.length));
    const pieces = 8; // 8 x 500 ms: twice the stall timeout in all
    for (let piece = 0; piece < pieces; piece++) {
      await sleep(500);
      trickle.socket.write(
        image.subarray((piece * image.length) / pieces, ((piece + 1) * image.length) / pieces),
      );
    }
    const response = await trickle.response;
    trickle.socket.destroy();
    expect(response.status, response.body).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ predictions: expect.any(Array) });
  });
});

describe('a body cut short by its client', () => {
  it('that half-closes after 400 of 784 declared bytes gets 400 naming both figures', async () => {
    const cut = openRequest(new URL(CLASSIFY, worker.url), 'POST', octetStream(784));
    cut.socket.end(image.subarray(0, 400));
    expectRawProblem(
      await cut.response,
      400,
      /^the request body ended after 400 of 784 declared bytes$/,
    );
    cut.socket.destroy();
  });

  it('that half-closes mid-chunk of a chunked body gets 400', async () => {
    const cut = openRequest(new URL(CLASSIFY, worker.url), 'POST', {
      'Content-Type': 'application/octet-stream',
      'Transfer-Encoding': 'chunked',
    });
    cut.socket.end(Buffer.concat([Buffer.from('310\r\n'), image.subarray(0, 400)]));
    expectRawProblem(await cut.response, 400, /^the request body ended after 400 bytes$/);
    cut.socket.destroy();
  });

  it('that resets the connection leaves nothing counted and the Worker serving', async () => {
    const reset = openRequest(new URL(CLASSIFY, worker.url), 'POST', octetStream(64 * 1024));
    reset.socket.write(new Uint8Array(4000));
    expect(await bufferedWhen((bytes) => bytes === 4000)).toBe(4000);
    reset.socket.resetAndDestroy();
    expect(await bufferedWhen((bytes) => bytes === 0)).toBe(0);
    expect((await honestUpload(image.length)).status).toBe(200);
  });
});
