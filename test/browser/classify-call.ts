/**
 * The classification the demo page and the static-site example make through the browser helper,
 * and the same call from Node: the answer the page should show.
 */
import { expect } from 'vitest';
import type { Bytes } from '../../harness/dataset.ts';
import type { WorkerUnderTest } from '../../harness/worker/start-worker.ts';

/** The call the pages make through the helper. */
export const CLASSIFY = '/v1/classify?top=3&include=input';

/** The JSON answer to CLASSIFY. */
export interface Classification {
  predictions: { label: string; index: number; score: number }[];
  model: { name: string; version: string; sha256: string };
  input: string;
}

/** POST CLASSIFY from Node (expecting 200): the answer a page should show for the same bytes. */
export async function apiClassify(
  target: WorkerUnderTest,
  body: Uint8Array,
  type: string,
): Promise<Classification> {
  const response = await target.fetch(CLASSIFY, {
    method: 'POST',
    headers: { 'Content-Type': type },
    body: body as Bytes,
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Classification;
}
