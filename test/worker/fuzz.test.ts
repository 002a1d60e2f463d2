/**
 * Property-based fuzzing of the whole HTTP surface, against the real bundle in workerd: over 10,000
 * generated requests (every endpoint and content type; valid inputs, structured-but-wrong JSON,
 * random bytes, damaged PNG/JPEG/WebP files and hostile header sizes; random paths and methods), each
 * answered with a valid 200 or a problem+json 4xx and never a 5xx, by one isolate that afterwards
 * still serves with the same tensors and wasm heap, and that was initialised exactly once by a
 * burst of simultaneous first requests.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { testImages } from '../../harness/dataset.ts';
import { startWorker, type WorkerUnderTest } from '../../harness/worker/start-worker.ts';
import {
  answerProblem,
  hostileRequest,
  imagePool,
  MAX_BATCH,
  requestInit,
  type HostileRequest,
} from '../../harness/hostile.ts';
import { runtimeOf } from '../../harness/worker/runtime-status.ts';

/** Requests in flight at once: enough to interleave body reads with decoding and inference. */
const CONCURRENCY = 8;
/** Property runs of CONCURRENCY requests each: 10,400 requests, shrinking aside. */
const RUNS = 1_300;

const pool = await imagePool(testImages(16).images);
const requests = hostileRequest(pool);
/** The valid requests of the sample, for the first burst and the checks after the fuzzing. */
const valid = fc.sample(
  requests.filter((request) => request.mustSucceed),
  { numRuns: 64, seed: 1 },
);

let worker: WorkerUnderTest;
beforeAll(async () => {
  worker = await startWorker();
});
afterAll(() => worker?.dispose());

/** Answers received, by status. */
const statuses = new Map<number, number>();

/** Sends `request`, counts its status and returns what is wrong with the answer, labelled, or undefined. */
async function exchange(request: HostileRequest): Promise<string | undefined> {
  const response = await worker.fetch(request.path, requestInit(request));
  statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
  const problem = await answerProblem(request, response);
  return problem && `${request.label} (${request.method} ${request.path}): ${problem}`;
}

it('initialises exactly once, at startup, whatever 32 simultaneous first requests to every endpoint do', async () => {
  expect(await runtimeOf(worker)).toMatchObject({ initialised: true, initialisations: 1 });
  const problems = await Promise.all(valid.slice(0, 32).map(exchange));
  expect(problems.filter(Boolean)).toEqual([]);
  expect(await runtimeOf(worker)).toMatchObject({ initialised: true, initialisations: 1 });
});

it(`answers ${RUNS * CONCURRENCY} generated requests with a valid 200 or a 4xx problem, never a 5xx`, async () => {
  // Every bundled model loaded (the fuzzing visits the readiness probe, which loads them all) and
  // the largest batch run grow tensors and wasm heap to their working size: any later growth is a leak.
  const ready = await worker.fetch('/v2/health/ready');
  expect(ready.status).toBe(200);
  await ready.arrayBuffer();
  const full = {
    inputs: [
      {
        name: 'images',
        shape: [MAX_BATCH, 784],
        datatype: 'UINT8',
        data: new Array(MAX_BATCH * 784).fill(0),
      },
    ],
  };
  const warm = await worker.fetch('/v2/models/fashion-mnist/infer', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(full),
  });
  expect(warm.status).toBe(200);
  await warm.arrayBuffer();
  const before = await runtimeOf(worker);

  statuses.clear();
  await fc.assert(
    fc.asyncProperty(
      fc.array(requests, { minLength: CONCURRENCY, maxLength: CONCURRENCY }),
      async (batch) => {
        expect((await Promise.all(batch.map(exchange))).filter(Boolean)).toEqual([]);
      },
    ),
    { numRuns: RUNS },
  );
  const sent = [...statuses.values()].reduce((sum, count) => sum + count, 0);
  console.info(
    `fuzz: ${sent} requests, by status: ${JSON.stringify(Object.fromEntries([...statuses].sort(([a], [b]) => a - b)))}`,
  );
  expect(sent).toBeGreaterThanOrEqual(10_000);

  // The isolate is still the same one, serving valid requests, with nothing left behind.
  const problems = await Promise.all(valid.slice(32).map(exchange));
  expect(problems.filter(Boolean)).toEqual([]);
  const after = await runtimeOf(worker);
  expect(after.initialisations).toBe(1);
  expect(after.tensors).toBe(before.tensors);
  expect(after.wasmHeapBytes).toBe(before.wasmHeapBytes);
}, 1_800_000);
