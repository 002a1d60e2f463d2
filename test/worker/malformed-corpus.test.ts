/**
 * A corpus of hand-made malformed inputs, each with the answer it must get from the real bundle in
 * workerd: decompression and zlib bombs, impossible and truncated headers, corrupt and mislabelled
 * files, empty bodies, hostile JSON, oversized batches and a 100 MB upload; then the optional bearer
 * token (API_TOKEN). The isolate must keep serving after all of it.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { encode as encodePng } from 'fast-png';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base64, testImages, toJpeg, toPng, type Bytes } from '../../harness/dataset.ts';
import { expectProblem, expectRefusedUpload } from './expect.ts';
import { startWorker, type WorkerUnderTest } from '../../harness/worker/start-worker.ts';
import {
  jpegFrameOffset,
  MAX_BATCH,
  withJpegSize,
  withPngSize,
  zlibBombPng,
} from '../../harness/hostile.ts';
import { runtimeOf } from '../../harness/worker/runtime-status.ts';

const MIB = 1024 * 1024;
const CLASSIFY = '/v1/classify';
const PREDICT = '/v1/models/fashion-mnist:predict';
const INFER = '/v2/models/fashion-mnist/infer';
const INFERENCE_PATHS = [CLASSIFY, PREDICT, INFER];

const image = testImages(1).images[0]!;
const pixels = Array.from(image);
const png = toPng(image);
const jpeg = toJpeg(image);
const utf8 = (text: string): Bytes => new TextEncoder().encode(text) as Bytes;

let worker: WorkerUnderTest;
beforeAll(async () => {
  // GET /v1/runtime shows the bytes it buffers. Uploads here
  // pause on purpose for as long as a test needs: no stall timeout may end them first.
  worker = await startWorker({ bindings: { BODY_STALL_MS: '60000' } });
});
afterAll(() => worker?.dispose());

const post = (path: string, type: string, body: BodyInit, headers: Record<string, string> = {}) =>
  worker.fetch(path, { method: 'POST', headers: { 'Content-Type': type, ...headers }, body });

/** A copy of the JPEG with its frame header's marker or sample precision changed. */
function withJpegFrame(marker: number, precision = 8): Bytes {
  const copy = new Uint8Array(jpeg);
  const frame = jpegFrameOffset(copy);
  copy[frame + 1] = marker;
  copy[frame + 4] = precision;
  return copy;
}

/** A copy with one bit flipped in the middle of the file: inside the PNG's IDAT, or the JPEG's scan. */
function flipped(file: Uint8Array): Bytes {
  const copy = new Uint8Array(file);
  copy[copy.length >> 1]! ^= 0x10;
  return copy;
}

const instances = (count: number) =>
  JSON.stringify({ instances: Array.from({ length: count }, () => pixels) });
const v2 = (count: number | string, data: string) =>
  `{"inputs":[{"name":"images","shape":[${count},784],"datatype":"FP32","data":${data}}]}`;
const withPixel = (literal: string) =>
  `[${pixels.map((p, i) => (i === 100 ? literal : p)).join(',')}]`;

type Case = [
  name: string,
  path: string,
  type: string,
  body: BodyInit,
  status: number,
  detail?: RegExp,
];

const cases: Case[] = [
  // Decompression bombs: a small file whose header declares a huge image, refused before decoding.
  [
    'PNG declaring 100000x100000 (CRC fixed)',
    CLASSIFY,
    'image/png',
    withPngSize(png, 100_000, 100_000),
    413,
    /would cost too much to decode: 100000x100000 pixels/,
  ],
  [
    'PNG declaring (2^31-1)x1',
    CLASSIFY,
    'image/png',
    withPngSize(png, 2 ** 31 - 1, 1),
    413,
    /2147483647x1 pixels .* the limit is/,
  ],
  [
    'JPEG declaring 6000x4200, over 25 MP',
    CLASSIFY,
    'image/jpeg',
    withJpegSize(jpeg, 6000, 4200),
    413,
    /6000x4200 = 25200000 pixels/,
  ],
  [
    'JPEG declaring 65535x65535',
    CLASSIFY,
    'image/jpeg',
    withJpegSize(jpeg, 65535, 65535),
    413,
    /65535x65535/,
  ],
  [
    'PNG declaring 100000x100000 inside a predict b64',
    PREDICT,
    'application/json',
    JSON.stringify({ instances: [{ b64: base64(withPngSize(png, 100_000, 100_000)) }] }),
    413,
    /^instances\[0\]\.b64: .*100000x100000/,
  ],
  // A zlib bomb declares a small image and carries far more data: caught while inflating, in slices.
  [
    '1x1 PNG whose data inflates to 64 MiB',
    CLASSIFY,
    'image/png',
    zlibBombPng(),
    400,
    /inflates to more than the 2 bytes its header implies/,
  ],
  [
    '28x28 PNG declaring 512x512 (CRC fixed)',
    CLASSIFY,
    'image/png',
    withPngSize(png, 512, 512),
    400,
    /inflates to 812 bytes, but its header implies 262656/,
  ],
  // Impossible headers.
  ['PNG declaring 0x0', CLASSIFY, 'image/png', withPngSize(png, 0, 0), 400, /invalid size 0x0/],
  [
    'PNG declaring 2^32-1 wide',
    CLASSIFY,
    'image/png',
    withPngSize(png, 2 ** 32 - 1, 28),
    400,
    /invalid size/,
  ],
  [
    'JPEG declaring 0 lines',
    CLASSIFY,
    'image/jpeg',
    withJpegSize(jpeg, 28, 0),
    400,
    /invalid size 28x0/,
  ],
  [
    'arithmetic-coded JPEG (SOF9)',
    CLASSIFY,
    'image/jpeg',
    withJpegFrame(0xc9),
    415,
    /baseline and progressive/,
  ],
  ['12-bit JPEG', CLASSIFY, 'image/jpeg', withJpegFrame(0xc0, 12), 415, /8-bit JPEG/],
  // Truncated and corrupt files.
  [
    'PNG cut after its signature',
    CLASSIFY,
    'image/png',
    png.subarray(0, 8),
    400,
    /ends at byte 8, before the IEND chunk/,
  ],
  [
    'PNG cut inside IHDR',
    CLASSIFY,
    'image/png',
    png.subarray(0, 20),
    400,
    /the IHDR chunk is cut off/,
  ],
  ['PNG cut inside IDAT', CLASSIFY, 'image/png', png.subarray(0, png.length - 20), 400, /cut off/],
  [
    'PNG without IEND',
    CLASSIFY,
    'image/png',
    png.subarray(0, png.length - 12),
    400,
    /before the IEND chunk/,
  ],
  ['PNG with a flipped bit in IDAT', CLASSIFY, 'image/png', flipped(png), 400, /PNG/],
  [
    'JPEG that is only its SOI marker',
    CLASSIFY,
    'image/jpeg',
    jpeg.subarray(0, 2),
    400,
    /ends before the frame header/,
  ],
  ['JPEG cut in half', CLASSIFY, 'image/jpeg', jpeg.subarray(0, jpeg.length >> 1), 400, /JPEG/],
  // Mislabelled: the bytes are not what the Content-Type says.
  [
    'PNG sent as image/jpeg',
    CLASSIFY,
    'image/jpeg',
    png,
    415,
    /declares image\/jpeg, but the bytes are a PNG image/,
  ],
  [
    'JPEG sent as image/png',
    CLASSIFY,
    'image/png',
    jpeg,
    415,
    /declares image\/png, but the bytes are a JPEG image/,
  ],
  [
    'GIF sent as image/png',
    CLASSIFY,
    'image/png',
    utf8('GIF89a\x01\x00\x01\x00'),
    415,
    /a GIF image/,
  ],
  ['PNG sent as application/json', CLASSIFY, 'application/json', png, 400, /not valid UTF-8/],
  [
    'PNG sent as application/octet-stream',
    CLASSIFY,
    'application/octet-stream',
    png,
    400,
    /exactly 784 bytes/,
  ],
  // Empty bodies, for every content type and endpoint.
  ['an empty image/png', CLASSIFY, 'image/png', new Uint8Array(0), 400, /empty/],
  ['an empty image/jpeg', CLASSIFY, 'image/jpeg', new Uint8Array(0), 400, /empty/],
  ['an empty octet-stream', CLASSIFY, 'application/octet-stream', new Uint8Array(0), 400, /got 0/],
  [
    'an empty JSON body to classify',
    CLASSIFY,
    'application/json',
    new Uint8Array(0),
    400,
    /not valid JSON/,
  ],
  [
    'an empty JSON body to predict',
    PREDICT,
    'application/json',
    new Uint8Array(0),
    400,
    /not valid JSON/,
  ],
  [
    'an empty JSON body to infer',
    INFER,
    'application/json',
    new Uint8Array(0),
    400,
    /not valid JSON/,
  ],
  // JSON depth: refused by a linear scan before anything recurses.
  ...INFERENCE_PATHS.map((path): Case => [
    `100,000 nested arrays to ${path}`,
    path,
    'application/json',
    '['.repeat(100_000) + ']'.repeat(100_000),
    400,
    /nests deeper than 8 levels/,
  ]),
  [
    'nested objects 9 deep',
    PREDICT,
    'application/json',
    '{"a":'.repeat(9) + '1' + '}'.repeat(9),
    400,
    /nests deeper/,
  ],
  // Numbers: non-finite, beyond JSON, out of range, not integers where integers are due.
  ...['NaN', 'Infinity', '-Infinity'].map((literal): Case => [
    `${literal} as a pixel`,
    CLASSIFY,
    'application/json',
    `{"pixels":${withPixel(literal)}}`,
    400,
    /not valid JSON/,
  ]),
  [
    '1e309 as a pixel',
    CLASSIFY,
    'application/json',
    `{"pixels":${withPixel('1e309')}}`,
    400,
    /pixels\[100\] is not a finite number/,
  ],
  [
    '-1 as a pixel',
    PREDICT,
    'application/json',
    `{"instances":[${withPixel('-1')}]}`,
    400,
    /instances\[0\]\[100\] is -1, outside the pixel range 0\.\.255/,
  ],
  [
    '256 as a pixel',
    INFER,
    'application/json',
    v2(1, withPixel('256')),
    400,
    /inputs\[0\]\.data\[100\] is 256, outside/,
  ],
  [
    '-1e309 as an FP32 pixel',
    INFER,
    'application/json',
    v2(1, withPixel('-1e309')),
    400,
    /not a finite number/,
  ],
  ['1e309 as the batch size', INFER, 'application/json', v2('1e309', '[]'), 400, /shape must be/],
  [
    '0.5 as a UINT8 pixel',
    INFER,
    'application/json',
    v2(1, withPixel('0.5')).replace('FP32', 'UINT8'),
    400,
    /is 0\.5, not an integer/,
  ],
  // Batches: the cap is MAX_BATCH images, and more is 413 (split the batch), none is 400.
  [
    `${MAX_BATCH + 1} instances`,
    PREDICT,
    'application/json',
    instances(MAX_BATCH + 1),
    413,
    /instances holds 257 images; the limit is 256/,
  ],
  [
    `${MAX_BATCH + 1} v2 images`,
    INFER,
    'application/json',
    v2(MAX_BATCH + 1, '[]'),
    413,
    /inputs\[0\] holds 257 images/,
  ],
  ['a batch size of 2^53', INFER, 'application/json', v2(2 ** 53, '[]'), 400, /shape must be/],
  ['no instances', PREDICT, 'application/json', instances(0), 400, /instances is empty/],
];

describe('the malformed corpus', () => {
  it.each(cases)('%s -> %s %s %i', async (_, path, type, body, status, detail) => {
    await expectProblem(await post(path, type, body), status, detail);
  });

  it(`accepts exactly ${MAX_BATCH} instances`, async () => {
    const response = await post(PREDICT, 'application/json', instances(MAX_BATCH));
    expect(response.status).toBe(200);
    expect(((await response.json()) as { predictions: unknown[] }).predictions).toHaveLength(
      MAX_BATCH,
    );
  });

  it('nesting inside a JSON string is text, not depth', async () => {
    const response = await post(
      INFER,
      'application/json',
      JSON.stringify({ id: '['.repeat(10_000), ...JSON.parse(v2(1, JSON.stringify(pixels))) }),
    );
    expect(response.status).toBe(200);
  });

  it('counts every base64 image of a batch against one pixel budget', async () => {
    // A garment at 1024x1024 compresses to a few kB: 256 of them would be 268 M pixels of decoding
    // for a request of a few MB. 23 fit the 25 MP of MAX_SOURCE_PIXELS; the 24th is refused before it
    // is decoded.
    const garment = testImages(1).images[0]!;
    const data = Uint8Array.from(
      { length: 1024 * 1024 },
      (_, i) =>
        garment[
          Math.floor((Math.floor(i / 1024) * 28) / 1024) * 28 + Math.floor(((i % 1024) * 28) / 1024)
        ]!,
    );
    const large = base64(encodePng({ width: 1024, height: 1024, data, channels: 1, depth: 8 }));
    const batch = JSON.stringify({
      instances: Array.from({ length: MAX_BATCH }, () => ({ b64: large })),
    });
    await expectProblem(
      await post(PREDICT, 'application/json', batch),
      413,
      /^instances\[23\]\.b64: the image is 1024x1024 = 1048576 pixels; the limit is 25000000 for all images of the request together, and the others took 24117248/,
    );
    const two = JSON.stringify({ instances: [{ b64: base64(png) }, { b64: base64(png) }] });
    expect((await post(PREDICT, 'application/json', two)).status).toBe(200);
  });
});

/** A body of `total` bytes without Content-Length, counting how much of it the client got to send. */
function endlessUpload(total: number): { body: ReadableStream<Uint8Array>; sent: () => number } {
  const chunk = new Uint8Array(256 * 1024).fill(0x20);
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= total) return controller.close();
      sent += chunk.length;
      controller.enqueue(chunk);
    },
  });
  return { body, sent: () => sent };
}

describe('a 100 MB upload without Content-Length', () => {
  it.each(INFERENCE_PATHS)(
    'to %s is cut off with 413 soon after MAX_BODY_BYTES, not buffered',
    async (path) => {
      const upload = endlessUpload(100 * MIB);
      const answer = worker.fetch(path, {
        method: 'POST',
        headers: {
          'Content-Type': path === CLASSIFY ? 'application/octet-stream' : 'application/json',
        },
        body: upload.body,
        duplex: 'half',
      } as RequestInit);
      await expectRefusedUpload(answer, 413, /exceeds the limit of 12582912 bytes/);
      // The Worker stopped reading just past 12 MiB; the rest of what was sent sat in socket buffers.
      expect(upload.sent()).toBeLessThan(32 * MIB);
      await upload.body.cancel().catch(() => {});
    },
  );
});

describe('a flood of large uploads', () => {
  it('is refused beyond the isolate-wide body budget with 429 and Retry-After, and the isolate keeps serving', async () => {
    // Eight uploads of 2 MiB send all but their last byte and wait: 16 MiB against a budget of 12 MiB.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const pieces = [MIB, MIB - 1, 1];
    const uploads = Array.from({ length: 8 }, () => {
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          if (sent === pieces.length) return controller.close();
          if (sent === pieces.length - 1) await released;
          controller.enqueue(new Uint8Array(pieces[sent++]!));
        },
      });
      return worker.fetch(CLASSIFY, {
        method: 'POST',
        headers: { 'Content-Type': 'application/octet-stream' },
        body,
        duplex: 'half',
      } as RequestInit);
    });
    // Six fit; the Worker refuses the others and drains them, which only ends with the release.
    const held = 6 * (2 * MIB - 1);
    for (
      let polls = 0;
      polls < 2_000 && (await runtimeOf(worker)).bufferedBodyBytes < held;
      polls++
    ) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect((await runtimeOf(worker)).bufferedBodyBytes).toBe(held);
    release();
    const responses = await Promise.all(uploads);
    // The six finish within the budget with their last byte: 6 x 2 MiB is exactly 12 MiB.
    expect(responses.filter((response) => response.status === 429).length).toBe(2);
    for (const response of responses) {
      if (response.status === 429) {
        expect(response.headers.get('Retry-After')).toBe('1');
        await expectProblem(
          response,
          429,
          /already receiving 12582912 bytes of uploads; retry shortly/,
        );
      } else {
        await expectProblem(response, 400, /exactly 784 bytes .*got 2097152$/); // read whole: 2 MiB is not an image
      }
    }
    expect((await runtimeOf(worker)).bufferedBodyBytes).toBe(0);
    expect((await post(CLASSIFY, 'application/octet-stream', image)).status).toBe(200);
  });
});

describe('a small upload with Content-Length', () => {
  it('is counted against the isolate budget as its bytes arrive, not at its declared size, and released after', async () => {
    // Half the body, then a pause: only the 500 bytes that have come are counted, not the 1,000 declared.
    const request = httpRequest(new URL(CLASSIFY, worker.url), {
      method: 'POST',
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': '1000' },
    });
    const response = new Promise<IncomingMessage>((resolve, reject) =>
      request.on('response', resolve).on('error', reject),
    );
    request.write(new Uint8Array(500));
    for (
      let polls = 0;
      polls < 2_000 && (await runtimeOf(worker)).bufferedBodyBytes === 0;
      polls++
    ) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect((await runtimeOf(worker)).bufferedBodyBytes).toBe(500);
    request.end(new Uint8Array(500));
    const answer = await response;
    let text = '';
    for await (const chunk of answer) text += String(chunk);
    expect(answer.statusCode).toBe(400);
    expect(JSON.parse(text)).toMatchObject({
      detail: expect.stringMatching(/exactly 784 bytes .* got 1000$/),
    });
    expect((await runtimeOf(worker)).bufferedBodyBytes).toBe(0);
  });
});

describe('access control', () => {
  const TOKEN = 'correct-horse-battery-staple-0123456789';
  const bodies: Record<string, [string, BodyInit]> = {
    [CLASSIFY]: ['application/octet-stream', image],
    [PREDICT]: ['application/json', instances(1)],
    [INFER]: ['application/json', v2(1, JSON.stringify(pixels))],
  };
  let secured: WorkerUnderTest;
  beforeAll(async () => {
    // How `wrangler secret put API_TOKEN` reaches the Worker: as a string binding.
    secured = await startWorker({ bindings: { API_TOKEN: TOKEN } });
  });
  afterAll(() => secured?.dispose());

  const call = (target: WorkerUnderTest, path: string, authorization?: string) => {
    const [type, body] = bodies[path]!;
    return target.fetch(path, {
      method: 'POST',
      headers: { 'Content-Type': type, ...(authorization ? { Authorization: authorization } : {}) },
      body,
    });
  };

  it.each(INFERENCE_PATHS)(
    'POST %s without a valid bearer token is 401 with a Bearer challenge',
    async (path) => {
      for (const authorization of [
        undefined,
        '',
        'Bearer',
        `Basic ${btoa(`user:${TOKEN}`)}`,
        `Token ${TOKEN}`,
      ]) {
        const response = await call(secured, path, authorization);
        expect(response.headers.get('WWW-Authenticate')).toBe('Bearer');
        await expectProblem(response, 401, /requires an Authorization: Bearer <token> header/);
      }
      for (const wrong of ['wrong', TOKEN.slice(0, -1), `${TOKEN}x`, TOKEN.toUpperCase()]) {
        const response = await call(secured, path, `Bearer ${wrong}`);
        expect(response.headers.get('WWW-Authenticate')).toBe('Bearer error="invalid_token"');
        await expectProblem(response, 401, /bearer token is not valid/);
      }
    },
  );

  it.each(INFERENCE_PATHS)(
    'POST %s with the token is served (the scheme in any case)',
    async (path) => {
      for (const authorization of [`Bearer ${TOKEN}`, `bearer ${TOKEN}`, `BEARER  ${TOKEN}`]) {
        expect((await call(secured, path, authorization)).status).toBe(200);
      }
    },
  );

  it('health, metadata, the OpenAPI document, the demo page and CORS preflights stay public', async () => {
    for (const path of [
      '/',
      '/openapi.json',
      '/v2',
      '/v2/health/live',
      '/v2/health/ready',
      '/v2/models/fashion-mnist',
      '/v2/models/fashion-mnist/ready',
      '/v1/models/fashion-mnist',
      '/v1/models/fashion-mnist/metadata',
    ]) {
      expect((await secured.fetch(path)).status, path).toBe(200);
    }
    const preflight = await secured.fetch(CLASSIFY, {
      method: 'OPTIONS',
      headers: {
        Origin: 'https://shop.example',
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'authorization, content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('Access-Control-Allow-Headers')?.toLowerCase()).toContain(
      'authorization',
    );
  });

  it('is off when API_TOKEN is unset or empty', async () => {
    expect((await call(worker, CLASSIFY)).status).toBe(200);
    const open = await startWorker({ bindings: { API_TOKEN: '' } });
    try {
      expect((await call(open, PREDICT)).status).toBe(200);
    } finally {
      await open.dispose();
    }
  });
});

it('keeps serving after the whole corpus', async () => {
  const response = await post(CLASSIFY, 'image/png', png);
  expect(response.status).toBe(200);
  expect(((await response.json()) as { predictions: unknown[] }).predictions).toHaveLength(3);
});
