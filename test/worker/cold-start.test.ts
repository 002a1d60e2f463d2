/**
 * Cold start: the Worker starts the default model's runtime at global scope (worker/index.ts), so
 * that a fresh isolate's first request finds it ready; and an isolate whose startup fails still
 * serves everything that needs no model, and answers inference with 503.
 */
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { decodeAsset } from '../../classifier/asset-format.ts';
import { PROJECT_ROOT } from '../../project-root.ts';
import { testImages, type Bytes } from '../../harness/dataset.ts';
import { startWorker, type WorkerUnderTest } from '../../harness/worker/start-worker.ts';
import { runtimeOf } from '../../harness/worker/runtime-status.ts';

/** The model assets the Worker bundles: every asset in models/ (train/manifest.ts lists them all). */
const bundledModels = (): number =>
  readdirSync(join(PROJECT_ROOT, 'models')).filter((name) => name.endsWith('.bin')).length;

const FAILING_STARTUP = 'test/worker/fixtures/failing-startup.ts';
const { images } = testImages(2);

const classify = (worker: WorkerUnderTest, image: Bytes): Promise<Response> =>
  worker.fetch('/v1/classify', {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: image,
  });

describe('a fresh isolate', () => {
  let worker: WorkerUnderTest;
  let weightTensors: number;
  beforeAll(async () => {
    const asset = await decodeAsset(
      new Uint8Array(await readFile(join(PROJECT_ROOT, 'models/fashion-mnist-mlp.bin'))),
    );
    weightTensors = asset.tensors.size;
    worker = await startWorker();
  });
  afterAll(() => worker?.dispose());

  test('is ready before its first request, and its requests do no initialisation work', async () => {
    // The isolate's first request: only startup can have done what it reports.
    const atStart = await runtimeOf(worker);
    // The backend started once, the default model's weights are resident, and its warm-up
    // prediction (which packs the weights for XNNPACK) has run; the other models wait for a request.
    expect(atStart).toMatchObject({
      backend: 'wasm',
      simd: true,
      initialised: true,
      initialisations: 1,
      tensors: weightTensors,
      models: ['fashion-mnist'],
      predictions: 1,
    });

    const sent = [images[0]!, images[1]!, images[0]!];
    for (const [i, image] of sent.entries()) {
      const response = await classify(worker, image);
      expect(response.status, await response.clone().text()).toBe(200);
      await response.arrayBuffer();
      // Nothing started or loaded on the way: one prediction more, the same tensors and wasm heap.
      expect(await runtimeOf(worker)).toMatchObject({
        initialisations: 1,
        models: ['fashion-mnist'],
        predictions: 2 + i,
        tensors: atStart.tensors,
        wasmHeapBytes: atStart.wasmHeapBytes,
      });
    }
  });
});

describe('an isolate whose startup fails', () => {
  let worker: WorkerUnderTest;
  beforeAll(async () => {
    worker = await startWorker({ entry: FAILING_STARTUP });
  });
  afterAll(() => worker?.dispose());

  test('is up: health, the demo page and the OpenAPI document answer', async () => {
    const live = await worker.fetch('/v2/health/live');
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ live: true });
    const demo = await worker.fetch('/');
    expect(demo.status).toBe(200);
    expect(demo.headers.get('content-type')).toMatch(/^text\/html/);
    // It names the model, read from the asset without the runtime.
    expect(await demo.text()).toContain('<code id="model-name">fashion-mnist</code>');
    const openApi = await worker.fetch('/openapi.json');
    expect(openApi.status).toBe(200);
    expect(((await openApi.json()) as { openapi: string }).openapi).toBe('3.1.0');
  });

  test('answers inference and readiness with 503 naming what failed, retrying the start each time', async () => {
    const before = await runtimeOf(worker);
    expect(before).toMatchObject({
      backend: 'none',
      initialised: false,
      models: [],
      predictions: 0,
    });
    expect(before.initialisations).toBeGreaterThanOrEqual(1);

    // Each request names the model it needed and tries to start it; server readiness needs every
    // bundled one, so it tries each (the optional CNN too, when npm run check:cnn built it) and
    // may name either.
    const failed = (model: string) =>
      `model "${model}" failed to initialise: the wasm backend did not start; the error is in the Worker's logs`;
    const requests: { path: string; init?: RequestInit; details: string[]; attempts: number }[] = [
      {
        path: '/v1/classify',
        init: {
          method: 'POST',
          headers: { 'content-type': 'application/octet-stream' },
          body: images[0]!,
        },
        details: [failed('fashion-mnist')],
        attempts: 1,
      },
      {
        path: '/v2/health/ready',
        details: [failed('fashion-mnist'), failed('fashion-mnist-cnn')],
        attempts: bundledModels(),
      },
      { path: '/v2/models/fashion-mnist/ready', details: [failed('fashion-mnist')], attempts: 1 },
    ];
    for (const { path, init, details } of requests) {
      const response = await worker.fetch(path, init);
      expect(response.status, path).toBe(503);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      const problem = (await response.json()) as { status: number; detail: string };
      expect(problem.status).toBe(503);
      expect(details, path).toContain(problem.detail);
    }
    const after = await runtimeOf(worker);
    expect(after).toMatchObject({
      backend: 'none',
      initialised: false,
      initialisations:
        before.initialisations + requests.reduce((sum, { attempts }) => sum + attempts, 0),
    });
  });
});
