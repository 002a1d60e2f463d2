/**
 * The served model against the build: every test image goes through the Worker's TF Serving
 * predict endpoint in workerd, and the answers are compared with the Node-side evaluation of the
 * same asset file (classifier/forward/create-network.ts on the wasm backend, as the build evaluates it).
 */
import { readFileSync } from 'node:fs';
import { decodeAsset } from '../../classifier/asset-format.ts';
import { useBackend } from '../../train/backend.ts';
import type { ImageSet } from '../../train/data/index.ts';
import { argMax, predictAll } from '../../train/evaluate.ts';
import type { WorkerUnderTest } from '../../harness/worker/start-worker.ts';

const CLASSES = 10;
const BATCH = 250;

/** How the Worker's predictions for a whole image set compare with the build's. */
export interface Parity {
  /** Images whose most probable class differs between Worker and Node. */
  argMaxDisagreements: number;
  /** Largest |probability difference| over all images and classes. */
  worstDifference: number;
  /** Accuracy of the Worker's predictions. */
  servedAccuracy: number;
  /** Non-200 answers of the Worker (then the other figures are meaningless). */
  failedRequests: number;
}

/** Sends all of `set` to `/v1/models/{model}:predict` and compares with `assetPath` evaluated in Node. */
export async function servedParity(
  worker: WorkerUnderTest,
  model: string,
  assetPath: string,
  set: ImageSet,
): Promise<Parity> {
  // The Node side first: evaluated afterwards, its seconds of work would leave the Worker's
  // keep-alive connection idle long enough for workerd to close it under the next request.
  await useBackend('wasm');
  const reference = predictAll(await decodeAsset(readFileSync(assetPath)), set);
  const served = new Float32Array(set.count * CLASSES);
  let failedRequests = 0;
  for (let start = 0; start < set.count; start += BATCH) {
    const count = Math.min(BATCH, set.count - start);
    const instances = Array.from({ length: count }, (_, i) =>
      Array.from(set.images.subarray((start + i) * 784, (start + i + 1) * 784)),
    );
    const response = await worker.fetch(`/v1/models/${model}:predict`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ instances }),
    });
    if (response.status !== 200) {
      failedRequests++;
      continue;
    }
    const { predictions } = (await response.json()) as { predictions: number[][] };
    served.set(predictions.flat(), start * CLASSES);
  }

  let argMaxDisagreements = 0;
  let correct = 0;
  for (let i = 0; i < set.count; i++) {
    const predicted = argMax(served, i * CLASSES, CLASSES);
    if (predicted !== argMax(reference, i * CLASSES, CLASSES)) argMaxDisagreements++;
    if (predicted === set.labels[i]) correct++;
  }
  let worstDifference = 0;
  served.forEach(
    (p, k) => (worstDifference = Math.max(worstDifference, Math.abs(p - reference[k]!))),
  );
  return {
    argMaxDisagreements,
    worstDifference,
    servedAccuracy: correct / set.count,
    failedRequests,
  };
}
