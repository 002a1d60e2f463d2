/**
 * GET /client.js, the browser helper: served as JavaScript, cacheable and revalidated by ETag, and
 * loadable as a module script from any origin, also from a Worker whose ALLOWED_ORIGINS lists
 * others. The demo page and example tests (test/browser/) run it in Chromium.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../project-root.ts';
import { startWorker, type WorkerUnderTest } from '../../harness/worker/start-worker.ts';

const SOURCE = readFileSync(join(PROJECT_ROOT, 'worker', 'client', 'client.js'), 'utf8');

let worker: WorkerUnderTest;
let allowList: WorkerUnderTest;
beforeAll(async () => {
  [worker, allowList] = await Promise.all([
    startWorker(),
    startWorker({ bindings: { ALLOWED_ORIGINS: 'https://shop.example' } }),
  ]);
});
afterAll(async () => {
  await Promise.all([worker?.dispose(), allowList?.dispose()]);
});

describe('GET /client.js', () => {
  it('is the helper source, as cacheable JavaScript', async () => {
    const response = await worker.fetch('/client.js', {
      headers: { Origin: 'https://anyone.example' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('Content-Type')).toBe('text/javascript; charset=utf-8');
    expect(response.headers.get('Cache-Control')).toMatch(/^public, max-age=\d+$/);
    expect(response.headers.get('ETag')).toMatch(/^"[A-Za-z0-9+/]{22}"$/);
    expect(response.headers.get('Access-Control-Allow-Origin')).toBe('*');
    expect(response.headers.get('X-Content-Type-Options')).toBe('nosniff');
    expect(await response.text()).toBe(SOURCE);
  });

  it('answers a matching If-None-Match with 304 and no body, anything else with the module', async () => {
    const etag = (await worker.fetch('/client.js', { method: 'HEAD' })).headers.get('ETag')!;
    for (const match of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const response = await worker.fetch('/client.js', { headers: { 'If-None-Match': match } });
      expect(response.status, match).toBe(304);
      expect(response.headers.get('ETag')).toBe(etag);
      expect(await response.text()).toBe('');
    }
    const stale = await worker.fetch('/client.js', { headers: { 'If-None-Match': '"stale"' } });
    expect(stale.status).toBe(200);
    expect(await stale.text()).toBe(SOURCE);
  });

  it('may be loaded by any page even when ALLOWED_ORIGINS lists others; the API stays closed to them', async () => {
    const stranger = { Origin: 'https://stranger.example' };
    const module = await allowList.fetch('/client.js', { headers: stranger });
    expect(module.headers.get('Access-Control-Allow-Origin')).toBe('*');
    await module.body?.cancel();
    const listed = await allowList.fetch('/client.js', {
      headers: { Origin: 'https://shop.example' },
    });
    expect(listed.headers.get('Access-Control-Allow-Origin')).toBe('https://shop.example');
    await listed.body?.cancel();
    const api = await allowList.fetch('/v1/classify', {
      method: 'POST',
      headers: { ...stranger, 'Content-Type': 'application/octet-stream' },
      body: new Uint8Array(784),
    });
    expect(api.headers.get('Access-Control-Allow-Origin')).toBeNull();
    await api.body?.cancel();
  });
});
