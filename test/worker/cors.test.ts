/**
 * CORS and Server-Timing as a static site's browser sees them, with ALLOWED_ORIGINS at its default
 * ("*") and as an allow-list.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorker, type WorkerUnderTest } from '../../harness/worker/start-worker.ts';
import { testImages, toPng } from '../../harness/dataset.ts';

const image = testImages(1).images[0]!;
const ALLOWED = 'https://shop.example';

function preflight(worker: WorkerUnderTest, origin: string): Promise<Response> {
  return worker.fetch('/v1/classify', {
    method: 'OPTIONS',
    headers: {
      Origin: origin,
      'Access-Control-Request-Method': 'POST',
      'Access-Control-Request-Headers': 'content-type',
    },
  });
}

function classify(worker: WorkerUnderTest, origin: string): Promise<Response> {
  return worker.fetch('/v1/classify', {
    method: 'POST',
    headers: { Origin: origin, 'Content-Type': 'image/png' },
    body: toPng(image),
  });
}

function exposed(response: Response): string[] {
  return (response.headers.get('Access-Control-Expose-Headers') ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase());
}

describe('ALLOWED_ORIGINS = "*" (default)', () => {
  let worker: WorkerUnderTest;
  beforeAll(async () => {
    worker = await startWorker();
  });
  afterAll(() => worker?.dispose());

  it('answers a preflight with 204 and the allowed methods, headers and a day of caching', async () => {
    const response = await preflight(worker, 'https://anyone.example');
    expect(response.status).toBe(204);
    expect(response.headers.get('Access-Control-Allow-Origin')).toBe('*');
    expect(response.headers.get('Access-Control-Allow-Methods')?.split(',')).toEqual(
      expect.arrayContaining(['GET', 'POST']),
    );
    expect(response.headers.get('Access-Control-Allow-Headers')?.toLowerCase().split(',')).toEqual([
      'content-type',
      'authorization',
      'inference-header-content-length',
    ]);
    expect(response.headers.get('Access-Control-Max-Age')).toBe('86400');
  });

  it('lets any origin read responses, errors included, without Vary: Origin', async () => {
    for (const response of [
      await classify(worker, 'https://anyone.example'),
      await worker.fetch('/nope', { headers: { Origin: 'https://x.example' } }),
    ]) {
      expect(response.headers.get('Access-Control-Allow-Origin')).toBe('*');
      expect(response.headers.get('Vary') ?? '').not.toMatch(/origin/i);
      await response.body?.cancel();
    }
  });

  it('times every model response and exposes Server-Timing to scripts', async () => {
    const pixels = Array.from(image);
    const responses = [
      await classify(worker, 'https://anyone.example'),
      await worker.fetch('/v1/models/fashion-mnist:predict', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ instances: [pixels] }),
      }),
      await worker.fetch('/v2/models/fashion-mnist/infer', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          inputs: [{ name: 'images', shape: [1, 784], datatype: 'UINT8', data: pixels }],
        }),
      }),
    ];
    for (const response of responses) {
      expect(response.status).toBe(200);
      const timing = response.headers.get('Server-Timing') ?? '';
      for (const metric of ['read', 'decode', 'infer', 'total'])
        expect(timing).toMatch(new RegExp(`(^|,\\s*)${metric};dur=\\d+(\\.\\d+)?`));
      expect(exposed(response)).toContain('server-timing');
      expect(response.headers.get('Timing-Allow-Origin')).toBe('*');
      await response.body?.cancel();
    }
  });
});

describe('ALLOWED_ORIGINS as an allow-list', () => {
  let worker: WorkerUnderTest;
  beforeAll(async () => {
    worker = await startWorker({
      bindings: { ALLOWED_ORIGINS: `https://other.example, ${ALLOWED}` },
    });
  });
  afterAll(() => worker?.dispose());

  it('echoes a listed origin, with Vary: Origin, on preflights and responses', async () => {
    const response = await preflight(worker, ALLOWED);
    expect(response.status).toBe(204);
    expect(response.headers.get('Access-Control-Allow-Origin')).toBe(ALLOWED);
    expect(response.headers.get('Vary')).toMatch(/\bOrigin\b/);
    expect(response.headers.get('Access-Control-Max-Age')).toBe('86400');

    const actual = await classify(worker, ALLOWED);
    expect(actual.status).toBe(200);
    expect(actual.headers.get('Access-Control-Allow-Origin')).toBe(ALLOWED);
    expect(actual.headers.get('Vary')).toMatch(/\bOrigin\b/);
    expect(actual.headers.get('Timing-Allow-Origin')).toBe(ALLOWED);
    expect(exposed(actual)).toContain('server-timing');
    await actual.body?.cancel();
  });

  it('gives an unlisted origin no Access-Control-Allow-Origin, so the browser withholds the response', async () => {
    const response = await preflight(worker, 'https://evil.example');
    expect(response.headers.get('Access-Control-Allow-Origin')).toBeNull();
    const actual = await classify(worker, 'https://evil.example');
    expect(actual.headers.get('Access-Control-Allow-Origin')).toBeNull();
    expect(actual.headers.get('Timing-Allow-Origin')).toBeNull();
    expect(actual.headers.get('Vary')).toMatch(/\bOrigin\b/);
    await actual.body?.cancel();
  });

  it('lets a listed origin read error responses too', async () => {
    const response = await worker.fetch('/v1/classify', {
      method: 'GET',
      headers: { Origin: ALLOWED },
    });
    expect(response.status).toBe(405);
    expect(response.headers.get('Access-Control-Allow-Origin')).toBe(ALLOWED);
    await response.body?.cancel();
  });
});
