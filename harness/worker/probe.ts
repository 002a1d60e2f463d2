/// <reference path="../../worker/types.d.ts" />
/**
 * The Node side of the app probe (harness/worker/fixtures/app-probe.ts): start it with
 * `startWorker({ entry: APP_PROBE })` and read the serving isolate's runtime with runtimeOf().
 */
import type { ServingInfo } from '../../worker/inference/models.ts';
import type { WorkerUnderTest } from './start-worker.ts';

/** Entry of the real Worker wrapped with the test-only GET /__probe/runtime route. */
export const APP_PROBE = 'harness/worker/fixtures/app-probe.ts';

/** What the probe route reports: servingInfo() and the request body bytes being buffered. */
export interface ProbeInfo extends ServingInfo {
  bufferedBodyBytes: number;
}

/** servingInfo() and buffered body bytes of the isolate serving `worker`, which must run APP_PROBE. */
export async function runtimeOf(worker: WorkerUnderTest): Promise<ProbeInfo> {
  const response = await worker.fetch('/__probe/runtime');
  if (!response.ok)
    throw new Error(
      `the runtime probe answered ${response.status}: is the worker running ${APP_PROBE}?`,
    );
  return (await response.json()) as ProbeInfo;
}
