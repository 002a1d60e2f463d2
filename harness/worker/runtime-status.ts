/**
 * Reads the runtime status (GET /v1/runtime, worker/routes/runtime.ts) of the isolate serving a
 * Worker under test: tests and the soak script watch tensors, initialisations and upload bytes
 * through it.
 */
import type { RuntimeStatus } from '../../worker/routes/runtime.ts';
import type { WorkerUnderTest } from './start-worker.ts';

/** The runtime status of the isolate serving `worker`. */
export async function runtimeOf(worker: WorkerUnderTest): Promise<RuntimeStatus> {
  const response = await worker.fetch('/v1/runtime');
  if (!response.ok) throw new Error(`GET /v1/runtime answered ${response.status}`);
  return (await response.json()) as RuntimeStatus;
}
