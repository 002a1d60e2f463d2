/**
 * What Chromium's DevTools saw of a page's requests, CORS preflights included (Playwright's own
 * request events leave them out), and the exact bodies it sent.
 */
import type { Page } from 'playwright-core';
import { expect } from 'vitest';

/** A request as Chromium's DevTools saw it. */
export interface NetworkLog {
  requestId: string;
  method: string;
  url: string;
  contentType?: string;
  status?: number;
  /** DevTools' monotonic clock, in seconds, when the response headers arrived. */
  respondedAt?: number;
  corsError?: string;
}

/** What recordNetwork() saw of one page's requests. */
export interface NetworkRecorder {
  /** The requests to `url` so far. Chromium may log a request before its own preflight. */
  calls(url: string): NetworkLog[];
  /** The exact body Chromium sent for a request (Playwright has none for Blob bodies). */
  body(call: NetworkLog): Promise<Buffer>;
}

export async function recordNetwork(page: Page): Promise<NetworkRecorder> {
  const cdp = await page.context().newCDPSession(page);
  const byId = new Map<string, NetworkLog>();
  cdp.on('Network.requestWillBeSent', ({ requestId, request }) =>
    byId.set(requestId, {
      requestId,
      method: request.method,
      url: request.url,
      contentType: request.headers['Content-Type'],
    }),
  );
  cdp.on('Network.responseReceived', ({ requestId, response, timestamp }) => {
    const entry = byId.get(requestId);
    if (entry) Object.assign(entry, { status: response.status, respondedAt: timestamp });
  });
  cdp.on('Network.loadingFailed', ({ requestId, corsErrorStatus }) => {
    const entry = byId.get(requestId);
    if (entry && corsErrorStatus) entry.corsError = corsErrorStatus.corsError;
  });
  await cdp.send('Network.enable');
  return {
    calls: (url) => [...byId.values()].filter((entry) => entry.url === url),
    body: async ({ requestId }) => {
      const { postData, base64Encoded } = await cdp.send('Network.getRequestPostData', {
        requestId,
      });
      return Buffer.from(postData, base64Encoded ? 'base64' : 'utf8');
    },
  };
}

/** The one POST a page made to `url`, and its body. */
export async function onlyPost(
  network: NetworkRecorder,
  url: string,
): Promise<{ contentType?: string; body: Buffer }> {
  const posts = network.calls(url).filter((call) => call.method === 'POST');
  expect(posts).toHaveLength(1);
  return { contentType: posts[0]!.contentType, body: await network.body(posts[0]!) };
}

/** The preflight and the POST of one cross-origin call, found by method: the log order varies. */
export function preflightAndPost(calls: NetworkLog[]): { preflight: NetworkLog; post: NetworkLog } {
  expect(calls.map((entry) => entry.method).sort()).toEqual(['OPTIONS', 'POST']);
  return {
    preflight: calls.find((entry) => entry.method === 'OPTIONS')!,
    post: calls.find((entry) => entry.method === 'POST')!,
  };
}
